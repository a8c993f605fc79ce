import ArgumentParser
import Celeriac
import CeleriacCommands
import CeleriacHummingbird
import Hummingbird
import Logging
import ServiceLifecycle

/// `hummingbird-example`: a Hummingbird web application that sends Celery tasks and reads their results.
///
/// ```
/// hummingbird-example --with-worker                        # web app + a Swift worker, SQLite in ./celeriac.sqlite
/// curl -X POST localhost:8080/add -d '{"x": 2, "y": 3}'    # {"task_id":"…","state":"PENDING","status_url":"/tasks/…"}
/// curl localhost:8080/tasks/<id>                           # {"task_id":"…","state":"SUCCESS",…,"result":5,…}
/// ```
/// Routes: `GET /health`, `POST /add` (`?wait=S`), `POST /tasks` (any allowed task by name), `GET /tasks/{id}`
/// (`?wait=S`), `POST /tasks/{id}/revoke`. SIGTERM or SIGINT shuts down gracefully: the server stops, the
/// worker finishes its running tasks, the connections close.
@main
struct HummingbirdExample: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hummingbird-example", abstract: "A Hummingbird app that sends Celery tasks and reports their state.")

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .long, help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(name: [.customShort("p"), .long], help: "The port to listen on (0: any free port; the log line says which).")
    var port = 8080

    @Flag(name: .customLong("with-worker"), help: "Also run a Swift worker for tasks.add, tasks.sleep and tasks.fail in this process.")
    var withWorker = false

    @Option(name: [.customShort("c"), .long], help: "Tasks the in-process worker runs at once.")
    var concurrency = 2

    @Option(name: .customLong("grace"), help: "Seconds a graceful shutdown waits for the worker's running tasks.")
    var gracePeriod: Double = 30

    @Flag(name: .customLong("with-beat"), help: "Also run beat in this process, with the beat_schedule setting's entries.")
    var withBeat = false

    @Option(name: .customLong("allow-task"), help: "A task name POST /tasks may send besides this app's own (repeatable), e.g. for Python workers' tasks.")
    var allowedTasks: [String] = []

    @Option(name: [.customShort("l"), .customLong("log-level")], help: "Log level: debug, info, warning, error, critical.")
    var logLevel: LogLevelOption = .info

    func run() async throws {
        let logger = CommandLogging.logger(label: "hummingbird-example", level: logLevel)
        let settings = try connection.configuration()
        let connections = try await CeleriacConnections.open(settings, logger: logger)
        let celeriac = CeleriacApp(
            configuration: settings, broker: connections.broker, backend: connections.backend, registry: ExampleTasks.registry(), logger: logger)

        let router = Router(context: BasicCeleriacRequestContext.self)
        router.add(middleware: CeleriacMiddleware(celeriac))
        router.get("health") { _, _ in JSONResponse(["ok": true]) }
        AddRoutes.add(to: router)
        var allowed = CeleriacRoutes.AllowedTasks.registered
        if !allowedTasks.isEmpty { allowed = allowed.union(.named(Set(allowedTasks))) }
        CeleriacRoutes(app: celeriac, allowedTasks: allowed, statusPath: "/tasks").add(to: router.group("tasks"))

        var worker: Worker?
        if withWorker {
            var options = Worker.Configuration(
                concurrency: concurrency, queues: [settings.taskDefaultQueue], hostname: "hummingbird@\(System.hostName)",
                shutdownGracePeriod: .milliseconds(Int64(gracePeriod * 1000)), keepDeadLetters: settings.deadLetterEnabled)
            options.taskEvents = settings.workerSendTaskEvents
            worker = Worker(app: celeriac, configuration: options, logger: logger)
        }
        var beat: Beat?
        let beatStore: (any BeatStore)? = withBeat ? try await connections.openBeatStore(settings) : nil
        if let beatStore {
            beat = Beat(app: celeriac, entries: try BeatSchedules.entries(for: settings), store: beatStore, logger: logger)
        }

        let host = host
        var application = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "hummingbird-example"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info("hummingbird-example listening", metadata: ["url": "http://\(host):\(port)"])
            },
            logger: logger)
        application.addCeleriac(celeriac, worker: worker, beat: beat) { await beatStore?.close() }
        try await application.runService()
    }
}
