import CeleriacTesting
import Celeriac
import CeleriacRedis
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// A long-lived producer, a worker and waiting clients in one process while `redis-server` goes away for longer
/// than Celery's default publish retry policy covers (0 + 0.2 + 0.4 s), with AOF on so the queue survives.
@Suite("Redis outage", .serialized, .timeLimit(.minutes(1)), .enabled(if: RedisServer.shouldRun, "redis-server not installed"))
struct RedisOutageTests {
    /// Arguments that keep every write across a kill: the queue and results survive the restart.
    static let durable = ["--appendonly", "yes", "--appendfsync", "always"]

    /// Sums what each `tests.add` call ran with, so a task run twice or never shows.
    final class Runs: Sendable {
        private let counts = Mutex<[Int: Int]>([:])
        func record(_ value: Int) { counts.withLock { $0[value, default: 0] += 1 } }
        var all: [Int: Int] { counts.withLock { $0 } }
    }

    @Test("a producer with a longer retry policy publishes through a 1.5 s outage; every task runs once")
    func producerWorkerAndWaitersRideOutAnOutage() async throws {
        // A server left running by a failed expectation dies with this process (its watchdog checks our pid).
        var server = try await RedisServer.start(Self.durable)
        let url = "redis://127.0.0.1:\(server.port)/0"
        var configuration = CeleriacConfiguration()
        configuration.taskPublishRetryPolicy = PublishRetryPolicy(maxRetries: 40, intervalStart: 0.05, intervalStep: 0.05, intervalMax: 0.2)
        let broker = try RedisBroker(url: url, configuration: .init(logger: .quiet))
        let backend = try RedisResultBackend(url: url, configuration: .init(logger: .quiet))
        let app = CeleriacApp(configuration: configuration, broker: broker, backend: backend, logger: .quiet)
        let runs = Runs()
        app.registry.register(name: "tests.add", options: TaskOptions(acksLate: true)) { args, _, _ in
            let value = args.first?.intValue ?? -1
            runs.record(value)
            return .int(value + 1)
        }
        let worker = Worker(
            app: app,
            configuration: Worker.Configuration(
                concurrency: 4, queues: ["celery"], hostname: "celery@outage", shutdownGracePeriod: .seconds(5),
                revocationRefreshInterval: .milliseconds(200), receiveTimeout: .milliseconds(300)),
            logger: .quiet)
        let group = ServiceGroup(services: [worker], logger: .quiet)
        let count = 60
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // The producer sends one task every 40 ms for about 2.4 s; the server is down from ~0.6 s to ~2.1 s.
            let producer = Task {
                var results: [(Int, AsyncResult<JSONValue>)] = []
                for value in 0..<count {
                    results.append((value, try await app.send(name: "tests.add", args: [.int(value)])))
                    try await Task.sleep(for: .milliseconds(40))
                }
                return results
            }
            try await Task.sleep(for: .milliseconds(600))
            await server.stop(removingDirectory: false)
            try await Task.sleep(for: .milliseconds(1500))
            server = try await RedisServer.start(Self.durable, port: server.port, directory: server.directory)

            let results = try await producer.value
            #expect(results.count == count)
            for (value, result) in results {
                let stored = try await result.get(timeout: .seconds(20))
                #expect(stored == .int(value + 1), "task \(value) (\(result.id))")
            }
            // Let a wrongly restored message show up before counting.
            try await Task.sleep(for: .milliseconds(500))
            let counted = runs.all
            #expect(counted.count == count, "every task should run: ran \(counted.keys.sorted())")
            #expect(counted.values.allSatisfy { $0 == 1 }, "each task once: \(counted.filter { $0.value != 1 })")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        await broker.close()
        await backend.close()
        await server.stop()
    }

    @Test("with Celery's default retry policy, a publish while Redis is down fails with a clear error, no hang")
    func publishWithRedisDownFailsClearly() async throws {
        let server = try await RedisServer.start()
        let url = "redis://127.0.0.1:\(server.port)/0"
        let broker = try RedisBroker(url: url, configuration: .init(logger: .quiet))
        let app = CeleriacApp(configuration: CeleriacConfiguration(), broker: broker, backend: nil, logger: .quiet)
        _ = try await app.send(name: "tests.add", args: [1])
        await server.stop()
        let clock = ContinuousClock()
        let started = clock.now
        do {
            _ = try await app.send(name: "tests.add", args: [2])
            Issue.record("publishing with the server down should fail")
        } catch {
            let text = "\(error)"
            #expect(text.contains("127.0.0.1:\(server.port)") || text.lowercased().contains("connect"), "the error should say what failed: \(text)")
        }
        #expect(clock.now - started < .seconds(10), "the publish should give up after the policy's retries")
        await broker.close()
    }
}
