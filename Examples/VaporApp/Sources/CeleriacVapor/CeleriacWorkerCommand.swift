import Celeriac
import CeleriacCommands
import Logging
import Vapor

/// `celeriac worker`: a Celery worker running this application's tasks (`app.celeriac.registry`) with its
/// settings; the flags are `celery worker`'s and `celeriac worker`'s. The first SIGTERM or SIGINT starts a warm
/// shutdown (running tasks finish within `--grace` seconds), a second one a cold shutdown.
///
/// ```
/// swift run App celeriac worker -l info -c 4 -Q celery,emails -n web1@%h
/// swift run App celeriac worker -B            # with beat: the periodic tasks of beat_schedule
/// ```
public struct CeleriacWorkerCommand: AsyncCommand {
    /// The flags.
    public struct Signature: CommandSignature {
        @Option(name: "broker", short: "b", help: "Broker URL (default: the app's settings, $CELERY_BROKER_URL, then sqlite:///celeriac.sqlite).")
        var broker: String?

        @Option(name: "result-backend", help: "Result backend URL (default: the app's settings, $CELERY_RESULT_BACKEND, then the SQLite broker's file).")
        var resultBackend: String?

        @Option(name: "config", help: "A JSON file of settings with Celery's names, over the app's settings.")
        var configFile: String?

        @Option(name: "loglevel", short: "l", help: "Log level: debug, info, warning, error, critical (default: the app's).")
        var loglevel: String?

        @Option(name: "concurrency", short: "c", help: "Tasks run at once (default: worker_concurrency, then the number of CPUs).")
        var concurrency: Int?

        @Option(name: "queues", short: "Q", help: "Comma-separated queues to consume (default: the default queue).")
        var queues: String?

        @Option(name: "hostname", short: "n", help: "Node name, e.g. w1@%h (%h host, %n short host, %d domain).")
        var hostname: String?

        @Option(name: "prefetch-multiplier", help: "Messages reserved per slot (default 4).")
        var prefetchMultiplier: Int?

        @Option(name: "grace", help: "Seconds a warm shutdown waits for running tasks (default 30).")
        var grace: Double?

        @Flag(name: "task-events", short: "E", help: "Send task events for monitors such as Flower.")
        var taskEvents: Bool

        @Flag(name: "beat", short: "B", help: "Also run beat in this process: the beat_schedule setting's and BeatSchedules' entries.")
        var beat: Bool

        @Option(name: "schedule", short: "s", help: "With -B: an SQLite file for the beat state and lease, instead of the broker.")
        var schedule: String?

        @Option(name: "lease-ttl", help: "With -B: seconds the beat lease lasts without renewal (default 10).")
        var leaseTTL: Double?

        @Option(name: "max-interval", help: "With -B: most seconds between two schedule checks (default 5).")
        var maxInterval: Double?

        @Option(name: "beat-name", help: "With -B: the lease's name, for several applications on one broker (default \"default\").")
        var beatName: String?

        /// Creates the signature (ConsoleKit does this).
        public init() {}
    }

    /// The flags.
    public let signature = Signature()

    /// The command's help.
    public var help: String { "Start a Celeriac worker that runs this application's tasks." }

    /// Creates the command.
    public init() {}

    /// Runs the worker until a signal stops it.
    public func run(using context: Vapor.CommandContext, signature: Signature) async throws {
        let application = context.application
        let box = application.celeriac.box
        var settings = try box.resolvedConfiguration()
        if let file = signature.configFile { settings = try CeleriacConfiguration(contentsOfFile: file, base: settings) }
        if let broker = signature.broker { settings.brokerURL = broker }
        if let backend = signature.resultBackend { settings.resultBackend = backend }
        try settings.validate()
        var level: Logger.Level?
        if let text = signature.loglevel {
            guard let option = LogLevelOption(argument: text) else {
                throw CeleriacError(.invalidConfiguration, "--loglevel \(text): use debug, info, warning, error or critical")
            }
            level = option.level
        }
        if let concurrency = signature.concurrency, concurrency < 1 {
            throw CeleriacError(.invalidConfiguration, "--concurrency must be at least 1, got \(concurrency)")
        }
        if let grace = signature.grace, !(grace >= 0 && grace <= 86_400) {
            throw CeleriacError(.invalidConfiguration, "--grace must be between 0 and 86400 seconds, got \(grace)")
        }
        let options = CeleriacWorkerOptions(
            concurrency: signature.concurrency, queues: signature.queues.map { $0.split(separator: ",").map(String.init) },
            hostname: signature.hostname, prefetchMultiplier: signature.prefetchMultiplier,
            gracePeriod: .milliseconds(Int64((signature.grace ?? 30) * 1000)), taskEvents: signature.taskEvents ? true : nil,
            logLevel: level)
        let beatConfiguration = try signature.beat ? Self.beatConfiguration(signature) : nil
        let logger = options.logger(from: box.logger)
        let connections = try await CeleriacConnections.open(settings, logger: logger)
        let client = CeleriacApp(configuration: settings, broker: connections.broker, backend: connections.backend, registry: box.registry, logger: logger)
        let worker = Worker(app: client, configuration: options.workerConfiguration(for: settings), logger: logger)
        var beatStore: (any BeatStore)?
        do {
            if let beatConfiguration {
                let entries = try BeatSchedules.entries(for: settings)
                if entries.isEmpty { logger.warning("beat: the schedule is empty (set beat_schedule in --config or CELERY_BEAT_SCHEDULE)") }
                let store = try await connections.openBeatStore(settings, schedulePath: signature.schedule, leaseName: signature.beatName ?? "default")
                beatStore = store
                let beat = Beat(app: client, entries: entries, store: store, configuration: beatConfiguration, logger: logger)
                try await ServiceRunner.run([worker, beat], logger: logger)
            } else {
                try await ServiceRunner.run([worker], logger: logger)
            }
        } catch {
            await beatStore?.close()
            await connections.close()
            throw error
        }
        await beatStore?.close()
        await connections.close()
    }

    /// The beat's lease and loop timing from `--lease-ttl` and `--max-interval`.
    private static func beatConfiguration(_ signature: Signature) throws -> Beat.Configuration {
        let leaseTTL = signature.leaseTTL ?? 10
        let maxInterval = signature.maxInterval ?? 5
        guard leaseTTL > 0, leaseTTL <= 86_400 else { throw CeleriacError(.invalidConfiguration, "--lease-ttl must be a positive number of seconds, got \(leaseTTL)") }
        guard maxInterval > 0, maxInterval <= 86_400 else { throw CeleriacError(.invalidConfiguration, "--max-interval must be a positive number of seconds, got \(maxInterval)") }
        return Beat.Configuration(leaseTTL: .milliseconds(Int64(leaseTTL * 1000)), maxInterval: .milliseconds(Int64(maxInterval * 1000)))
    }
}
