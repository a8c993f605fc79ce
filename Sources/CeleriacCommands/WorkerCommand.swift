import ArgumentParser
import Celeriac
import CeleriacPrometheus
import Foundation
import Logging
import ServiceLifecycle

/// `worker`: runs a Celery worker with the executable's tasks (Celery's `celery worker`).
public struct WorkerCommand: AsyncParsableCommand {
    /// The command's name and help.
    public static let configuration = CommandConfiguration(commandName: "worker", abstract: "Start a worker that runs this executable's tasks.")

    @OptionGroup var connection: ConnectionOptions

    @Option(name: [.customShort("l"), .long], help: "Log level: debug, info, warning, error, critical.")
    var loglevel: LogLevelOption = .warning

    @Option(name: [.customShort("c"), .long], help: "Tasks run at once (default: $CELERY_WORKER_CONCURRENCY, then the number of CPUs).")
    var concurrency: Int?

    @Option(name: [.customShort("Q"), .long], help: "Comma-separated queues to consume (default: the default queue).")
    var queues: String?

    @Option(name: [.customShort("n"), .long], help: "Node name, e.g. w1@%h (%h host, %n short host, %d domain).")
    var hostname: String?

    @Option(name: .customLong("prefetch-multiplier"), help: "Messages reserved per slot (default 4).")
    var prefetchMultiplier: Int?

    @Option(name: .customLong("grace"), help: "Seconds a warm shutdown waits for running tasks (default 30).")
    var gracePeriod: Double = 30

    @Flag(name: .customLong("discard-dead-letters"), help: "Drop messages that cannot be processed instead of keeping them as dead letters.")
    var discardDeadLetters = false

    @Flag(name: [.customShort("E"), .customLong("task-events")], help: "Send task events for monitors such as Flower (worker_send_task_events).")
    var taskEvents = false

    @Option(name: [.customShort("A"), .customLong("app")], help: .hidden)
    var appName: String?

    @Flag(name: [.customShort("B"), .long], help: "Also run beat in this process (its options: --schedule, --lease-ttl, --max-interval, --beat-name).")
    var beat = false

    @OptionGroup var beatOptions: BeatOptions

    @Option(name: .customLong("metrics-port"), help: "Serve Prometheus metrics on http://<metrics-host>:<port>/metrics (off by default).")
    var metricsPort: Int?

    @Option(name: .customLong("metrics-host"), help: "The interface the metrics endpoint listens on (default 127.0.0.1).")
    var metricsHost = "127.0.0.1"

    /// Creates the command (argument-parser does this).
    public init() {}

    /// Runs the worker until a signal stops it.
    public func run() async throws {
        let logger = CommandLogging.logger(label: "celeriac.worker", level: loglevel)
        MallocTuning.keepFreedMemory(environment: ProcessInfo.processInfo.environment)
        if let metricsPort, !(0...65535).contains(metricsPort) {
            throw ValidationError("--metrics-port must be between 0 and 65535")
        }
        // Before anything creates a metric: swift-metrics is bootstrapped once, with the Prometheus registry.
        let exporter = metricsPort.map { _ in PrometheusExporter.bootstrap(logger: logger) }
        let config = try connection.configuration { config in
            if let concurrency { config.workerConcurrency = concurrency }
            if let prefetchMultiplier { config.workerPrefetchMultiplier = prefetchMultiplier }
            if discardDeadLetters { config.deadLetterEnabled = false }
            if taskEvents { config.workerSendTaskEvents = true }
        }
        if !config.unrecognizedKeys.isEmpty {
            logger.warning("settings Celeriac does not use are ignored", metadata: ["settings": "\(config.unrecognizedKeys.joined(separator: ", "))"])
        }
        let connections = try await CeleriacConnections.open(config, logger: logger)
        let app = CeleriacApp(configuration: config, broker: connections.broker, backend: connections.backend, registry: CommandContext.registry, logger: logger)
        let queueList = queues.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } } ?? [config.taskDefaultQueue]
        var workerConfiguration = Worker.Configuration(
            concurrency: config.workerConcurrency ?? System.coreCount, prefetchMultiplier: config.workerPrefetchMultiplier, queues: queueList,
            hostname: NodeName.expand(hostname ?? config.workerHostname ?? "celery@%h"), etaLimit: config.workerEtaLimit ?? Int.max,
            shutdownGracePeriod: .milliseconds(Int64(gracePeriod * 1000)), keepDeadLetters: config.deadLetterEnabled)
        workerConfiguration.taskEvents = config.workerSendTaskEvents
        let worker = Worker(app: app, configuration: workerConfiguration, logger: logger)
        var beatStore: (any BeatStore)?
        do {
            var services: [any Service] = []
            if let exporter, let metricsPort {
                exporter.onCollect { worker.refreshMetrics() }
                // First in the group, so a graceful shutdown stops it last and the final counts can be scraped.
                services.append(MetricsServer(exporter: exporter, host: metricsHost, port: metricsPort, logger: logger))
            }
            services.append(worker)
            if beat {
                let (service, store) = try await beatOptions.makeBeat(app: app, connections: connections, logger: logger)
                services.append(service)
                beatStore = store
            }
            try await ServiceRunner.run(services, logger: logger)
        } catch {
            await beatStore?.close()
            await connections.close()
            throw error
        }
        await beatStore?.close()
        await connections.close()
    }
}

/// Celery's node name templates.
enum NodeName {
    /// Expands `%h` (host), `%n` (host before the first dot) and `%d` (the rest) as Celery does.
    static func expand(_ template: String) -> String {
        let host = System.hostName
        let short = host.split(separator: ".", maxSplits: 1).first.map(String.init) ?? host
        let domain = host.split(separator: ".", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
        var name = template.replacingOccurrences(of: "%h", with: host).replacingOccurrences(of: "%n", with: short).replacingOccurrences(of: "%d", with: domain)
        if !name.contains("@") { name = name + "@" + host }
        return name
    }
}
