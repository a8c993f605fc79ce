import Celeriac
import CeleriacHummingbird
import CeleriacSQLite
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// The tasks of the tests' app.
enum TestTasks {
    struct Pair: TaskArguments {
        static let parameterNames = ["x", "y"]
        var x: Int
        var y: Int
    }

    struct Seconds: TaskArguments {
        static let parameterNames = ["seconds"]
        var seconds: Double
    }

    struct Message: TaskArguments {
        static let parameterNames = ["message"]
        var message: String
    }

    static let add = TaskName<Pair, Int>("tasks.add")
    static let sleep = TaskName<Seconds, Double>("tasks.sleep")
    static let fail = TaskName<Message, Int>("tasks.fail")

    static func registry() -> TaskRegistry {
        let registry = TaskRegistry()
        registry.register(add) { args, _ in args.x + args.y }
        registry.register(sleep) { args, _ in
            try await Task.sleep(for: .milliseconds(Int64(args.seconds * 1000)))
            return args.seconds
        }
        registry.register(fail) { args, _ in throw TaskError.valueError(args.message) }
        return registry
    }
}

/// A real Hummingbird application on a free port of 127.0.0.1, with Celeriac on an SQLite file in a temporary
/// directory and an in-process worker, run in a `ServiceGroup` as an application would.
final class TestServer: Sendable {
    let client: HTTPTestClient
    let app: CeleriacApp
    let worker: Worker
    let databasePath: String
    /// The beat, when the server runs one.
    let beat: Beat?
    private let group: ServiceGroup
    private let running: Task<Void, any Error>

    private init(
        client: HTTPTestClient, app: CeleriacApp, worker: Worker, databasePath: String, beat: Beat?, group: ServiceGroup, running: Task<Void, any Error>
    ) {
        self.client = client
        self.app = app
        self.worker = worker
        self.databasePath = databasePath
        self.beat = beat
        self.group = group
        self.running = running
    }

    /// Starts the server, runs `body`, shuts down gracefully and removes the directory.
    /// - Parameter beatEntries: when not empty, a beat with these entries (its state in the SQLite file) runs too.
    static func run<T>(grace: Duration = .seconds(10), beatEntries: [ScheduleEntry] = [], _ body: (TestServer) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("celeriac-hb-\(UUID().uuidString.prefix(8).lowercased())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = (directory as NSString).appendingPathComponent("celeriac.sqlite")
        var logger = Logger(label: "celeriac.hummingbird.tests")
        logger.logLevel = .warning

        let broker = try await SQLiteBroker(path: path)
        let backend = try await SQLiteResultBackend(path: path)
        let app = CeleriacApp(broker: broker, backend: backend, registry: TestTasks.registry(), logger: logger)
        let worker = Worker(
            app: app, configuration: .init(concurrency: 2, queues: ["celery"], hostname: "tests@hummingbird", shutdownGracePeriod: grace), logger: logger)

        let router = Router(context: BasicCeleriacRequestContext.self)
        router.add(middleware: CeleriacMiddleware(app))
        // A handler that sends through the app in its request context and awaits the typed result.
        router.post("sum") { request, context -> JSONResponse in
            let celeriac = try context.requireCeleriac()
            let pair = try await request.decode(as: SumRequest.self, context: context)
            let result = try await celeriac.delay(TestTasks.add, .init(x: pair.x, y: pair.y))
            let sum = try await result.get(timeout: .seconds(30))
            return JSONResponse(["task_id": .string(result.id), "sum": .int(sum)])
        }
        CeleriacRoutes(app: app).add(to: router.group("tasks"))

        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        var application = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger)
        var beat: Beat?
        var beatStore: SQLiteBeatStore?
        if !beatEntries.isEmpty {
            let store = try await SQLiteBeatStore(path: path)
            beatStore = store
            beat = Beat(app: app, entries: beatEntries, store: store, configuration: .init(maxInterval: .milliseconds(200)), logger: logger)
        }
        let closingStore = beatStore
        application.addCeleriac(app, worker: worker, beat: beat) { await closingStore?.close() }
        let group = ServiceGroup(configuration: .init(services: [application], logger: logger))
        let running = Task {
            defer { portContinuation.finish() }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            running.cancel()
            _ = try? await running.value
            throw CeleriacError(.invalidConfiguration, "the test server did not start")
        }
        let server = TestServer(
            client: HTTPTestClient(port: port), app: app, worker: worker, databasePath: path, beat: beat, group: group, running: running)
        do {
            let value = try await body(server)
            try await server.shutdown()
            return value
        } catch {
            try? await server.shutdown()
            throw error
        }
    }

    /// Triggers a graceful shutdown (as SIGTERM would) and waits until every service has stopped.
    func shutdown() async throws {
        await group.triggerGracefulShutdown()
        try await running.value
    }

    struct SumRequest: Decodable {
        var x: Int
        var y: Int
    }
}
