import Celeriac
import CeleriacRabbitMQ
import CeleriacSQLite
import CeleriacTesting
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// A Celeriac ``Worker`` taking tasks from RabbitMQ and storing results in SQLite.
@Suite("Worker over RabbitMQ", .timeLimit(.minutes(5)))
struct RabbitMQWorkerTests {
    /// Counts task runs by name.
    final class Runs: Sendable {
        private let counts = Mutex<[String: Int]>([:])
        func record(_ name: String) { counts.withLock { $0[name, default: 0] += 1 } }
        func count(_ name: String) -> Int { counts.withLock { $0[name] ?? 0 } }
    }

    @Test func tasksRunEndToEndIncludingCountdownAndAcksLate() async throws {
        guard let server = try await RabbitMQTestSupport.server() else { return }
        let queue = RabbitMQTestSupport.uniqueQueue("worker")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("celeriac-rmq-worker-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let broker = try RabbitMQBroker(url: server.url)
        let backend = try await SQLiteResultBackend(path: directory.appendingPathComponent("results.db").path)
        var configuration = CeleriacConfiguration()
        configuration.taskDefaultQueue = queue
        let app = CeleriacApp(configuration: configuration, broker: broker, backend: backend, logger: RabbitMQTestSupport.quiet)
        let runs = Runs()
        app.registry.register(name: "tests.add") { args, _, _ in
            runs.record("add")
            return .int((args.first?.intValue ?? 0) + (args.dropFirst().first?.intValue ?? 0))
        }
        app.registry.register(name: "tests.slow", options: TaskOptions(acksLate: true)) { _, _, _ in
            runs.record("slow")
            try await Task.sleep(for: .milliseconds(1500))
            return "slow done"
        }
        app.registry.register(name: "tests.fail") { _, _, _ in
            runs.record("fail")
            throw CeleriacError(.badArguments, "kaboom")
        }
        let worker = Worker(
            app: app,
            configuration: Worker.Configuration(
                concurrency: 2, prefetchMultiplier: 2, queues: [queue], hostname: "celery@rabbitmq-test",
                shutdownGracePeriod: .seconds(5), revocationRefreshInterval: .milliseconds(200), receiveTimeout: .milliseconds(500)),
            logger: RabbitMQTestSupport.quiet)
        let group = ServiceGroup(services: [worker], logger: RabbitMQTestSupport.quiet)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var sums: [AsyncResult<JSONValue>] = []
            for i in 0..<10 { sums.append(try await app.send(name: "tests.add", args: [.int(i), 1])) }
            let slow = try await app.send(name: "tests.slow")
            let failing = try await app.send(name: "tests.fail")
            var options = CallOptions()
            options.countdown = 2
            let later = try await app.send(name: "tests.add", args: [40, 2], options: options)
            for (i, sum) in sums.enumerated() {
                #expect(try await sum.get(timeout: .seconds(20)) == .int(i + 1))
            }
            #expect(try await slow.get(timeout: .seconds(20)) == .string("slow done"))
            #expect(try await later.get(timeout: .seconds(20)) == .int(42))
            await #expect(throws: (any Error).self) { try await failing.get(timeout: .seconds(20)) }
            try await Task.sleep(for: .milliseconds(500))
            #expect(runs.count("add") == 11)
            #expect(runs.count("slow") == 1)
            #expect(runs.count("fail") == 1)
            let depths = try await broker.queueDepths().first { $0.queue == queue }
            #expect(depths == QueueDepth(queue: queue, ready: 0, unacked: 0))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        await broker.close()
        await backend.close()
    }
}
