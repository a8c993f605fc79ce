import CeleriacTesting
import Celeriac
import CeleriacRESP
import CeleriacRedis
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@Suite("Worker over Redis", .enabled(if: RedisServer.shouldRun, "redis-server not installed"))
struct RedisWorkerTests {
    /// Counts task runs by name.
    final class Runs: Sendable {
        private let counts = Mutex<[String: Int]>([:])
        func record(_ name: String) { counts.withLock { $0[name, default: 0] += 1 } }
        func count(_ name: String) -> Int { counts.withLock { $0[name] ?? 0 } }
    }

    @Test func tasksRunEndToEndAndLongAcksLateTasksRunOnce() async throws {
        try await withRedis { redis in
            var configuration = CeleriacConfiguration()
            configuration.brokerTransportOptions.visibilityTimeout = 2
            let broker = try redis.broker(visibilityTimeout: .seconds(2), restoreInterval: .milliseconds(500))
            let backend = try redis.backend()
            let app = CeleriacApp(configuration: configuration, broker: broker, backend: backend, logger: .quiet)
            let runs = Runs()
            app.registry.register(name: "tests.add") { args, _, _ in
                runs.record("add")
                return .int((args.first?.intValue ?? 0) + (args.dropFirst().first?.intValue ?? 0))
            }
            app.registry.register(name: "tests.slow", options: TaskOptions(acksLate: true)) { _, _, _ in
                runs.record("slow")
                try await Task.sleep(for: .milliseconds(3500))
                return "slow done"
            }
            app.registry.register(name: "tests.later", options: TaskOptions(acksLate: true)) { _, _, _ in
                runs.record("later")
                return "later done"
            }
            let worker = Worker(
                app: app,
                configuration: Worker.Configuration(
                    concurrency: 3, prefetchMultiplier: 4, queues: ["celery"], hostname: "celery@redis-test",
                    shutdownGracePeriod: .seconds(5), revocationRefreshInterval: .milliseconds(200), receiveTimeout: .milliseconds(500)),
                logger: .quiet)
            let group = ServiceGroup(services: [worker], logger: .quiet)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let add = try await app.send(name: "tests.add", args: [2, 3])
                let slow = try await app.send(name: "tests.slow")
                var options = CallOptions()
                options.countdown = 3
                let later = try await app.send(name: "tests.later", options: options)
                let sum = try await add.get(timeout: .seconds(10))
                #expect(sum == .int(5))
                #expect(try await slow.get(timeout: .seconds(15)) == .string("slow done"))
                #expect(try await later.get(timeout: .seconds(15)) == .string("later done"))
                // Give a wrong restore every chance to redeliver before counting.
                try await Task.sleep(for: .milliseconds(1500))
                #expect(runs.count("add") == 1)
                #expect(runs.count("slow") == 1)
                #expect(runs.count("later") == 1)
                let depths = try await broker.queueDepths()
                #expect(depths == [QueueDepth(queue: "celery", ready: 0, unacked: 0)])
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            await broker.close()
            await backend.close()
        }
    }
}
