import Celeriac
import CeleriacDashboard
import CeleriacRedis
import CeleriacTesting
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

extension Logger {
    /// A logger that drops everything.
    static let quiet = Logger(label: "celeriac.dashboard.tests", factory: { _ in SwiftLogNoOpLogHandler() })
}

/// A private redis-server, a Swift worker with task events (tasks `tests.add`, `tests.echo`, and `tests.flaky`,
/// which fails on its first run and succeeds after), and a dashboard on a free port, all in this process.
struct DashboardHarness: Sendable {
    let redisURL: String
    let port: Int
    let dashboard: Dashboard
    /// The producer app (its own connections, as a separate client would have).
    let client: CeleriacApp
    let runs: Runs
    static let workerName = "swift@dashboard-test"

    final class Runs: Sendable {
        private let counts = Mutex<[String: Int]>([:])
        func record(_ name: String) -> Int { counts.withLock { $0[name, default: 0] += 1; return $0[name] ?? 0 } }
        func count(_ name: String) -> Int { counts.withLock { $0[name] ?? 0 } }
    }

    var http: HTTPProbe { HTTPProbe(port: port) }

    /// Runs `body` with everything up; stops it all afterwards.
    static func run(resultExtended: Bool, _ body: @Sendable (DashboardHarness) async throws -> Void) async throws {
        try await withRedisServer { server in
            let url = "redis://127.0.0.1:\(server.port)/0"
            var configuration = CeleriacConfiguration()
            configuration.brokerURL = url
            configuration.resultBackend = url
            configuration.resultExtended = resultExtended
            let runs = Runs()
            let workerApp = try app(url: url, configuration: configuration)
            workerApp.registry.register(name: "tests.add") { args, _, _ in
                _ = runs.record("tests.add")
                return .int(args.compactMap(\.intValue).reduce(0, +))
            }
            workerApp.registry.register(name: "tests.echo") { args, kwargs, _ in
                _ = runs.record("tests.echo")
                return .object(["args": .array(args), "kwargs": .object(kwargs)])
            }
            workerApp.registry.register(name: "tests.flaky") { args, _, _ in
                let run = runs.record("tests.flaky")
                if run == 1 { throw TaskError.valueError("flaky: first run fails") }
                return .string("ok on run \(run) with \(args.first?.intValue ?? -1)")
            }
            var workerConfiguration = Worker.Configuration(
                concurrency: 2, queues: ["celery"], hostname: workerName, shutdownGracePeriod: .seconds(3),
                revocationRefreshInterval: .milliseconds(300), receiveTimeout: .milliseconds(300))
            workerConfiguration.taskEvents = true
            let worker = Worker(app: workerApp, configuration: workerConfiguration, logger: .quiet)
            let client = try app(url: url, configuration: configuration)
            let dashboardApp = try app(url: url, configuration: configuration)
            var settings = DashboardConfiguration()
            settings.port = 0
            settings.inspectInterval = .seconds(1)
            settings.historyInterval = .seconds(2)
            settings.brokerDescription = url
            settings.logger = .quiet
            let ports = AsyncStream<Int>.makeStream()
            let dashboard = Dashboard(app: dashboardApp, configuration: settings) { port in ports.continuation.yield(port) }
            let group = ServiceGroup(services: [worker, dashboard], logger: .quiet)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                var iterator = ports.stream.makeAsyncIterator()
                guard let port = await iterator.next() else { throw HTTPProbe.Failure(description: "the dashboard did not start") }
                let harness = DashboardHarness(redisURL: url, port: port, dashboard: dashboard, client: client, runs: runs)
                do {
                    try await body(harness)
                } catch {
                    await group.triggerGracefulShutdown()
                    try? await tasks.waitForAll()
                    throw error
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            for app in [workerApp, client, dashboardApp] {
                await app.broker.close()
                await app.backend?.close()
            }
        }
    }

    static func app(url: String, configuration: CeleriacConfiguration) throws -> CeleriacApp {
        let broker = try RedisBroker(url: url, configuration: .init(logger: .quiet))
        let backend = try RedisResultBackend(url: url, configuration: .init(logger: .quiet))
        return CeleriacApp(configuration: configuration, broker: broker, backend: backend, logger: .quiet)
    }
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(15), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(200))
    }
    return try await condition()
}
