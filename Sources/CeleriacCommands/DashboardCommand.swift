import ArgumentParser
import Celeriac
import CeleriacDashboard
import CeleriacPrometheus
import Logging

/// `dashboard`: serves Celeriac's web dashboard for the cluster on the broker (Python workers included).
public struct DashboardCommand: AsyncParsableCommand {
    /// The command's name and help.
    public static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Serve a live web dashboard of the cluster's workers, queues and tasks (like Flower).",
        discussion: """
            Binds 127.0.0.1:5555 by default. Binding any other address needs --basic-auth or --token. Workers need \
            -E (or `control enable_events`) for live task events; the history comes from the result backend.
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "The address to listen on; 127.0.0.1 accepts only this machine.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (Flower's 5555 by default; 0 picks a free one).")
    var port = 5555

    @Option(name: .customLong("basic-auth"), help: "Require HTTP basic authentication as user:password.")
    var basicAuth: String?

    @Option(help: "Require this bearer token (Authorization: Bearer, or open /?token=TOKEN once in the browser).")
    var token: String?

    @Option(name: .customLong("history"), help: "How many stored results to read from the result backend.")
    var history = 1_000

    @Flag(name: .customLong("no-metrics"), help: "Do not serve GET /metrics (Prometheus).")
    var noMetrics = false

    @Option(name: [.customShort("l"), .long], help: "Log level: debug, info, warning, error, critical.")
    var loglevel: LogLevelOption = .info

    /// Creates the command.
    public init() {}

    /// Validates the options, opens the broker and backend and serves until SIGINT or SIGTERM.
    public func run() async throws {
        let logger = CommandLogging.logger(label: "celeriac.dashboard", level: loglevel)
        var settings = DashboardConfiguration()
        settings.host = host
        settings.port = port
        settings.historyLimit = max(0, history)
        settings.logger = logger
        switch (basicAuth, token) {
        case (_?, _?): throw ValidationError("give --basic-auth or --token, not both")
        case (let basic?, nil): settings.authentication = try DashboardAuthentication.basic(basic)
        case (nil, let token?): settings.authentication = .token(token)
        case (nil, nil): break
        }
        do {
            try settings.validate()
        } catch let error as CeleriacError {
            throw ValidationError(error.message)
        }
        let config = try connection.configuration()
        settings.brokerDescription = ServiceURL.redact(config.effectiveBrokerURL)
        let connections = try await CeleriacConnections.open(config, logger: logger)
        let app = CeleriacApp(configuration: config, broker: connections.broker, backend: connections.backend, registry: CommandContext.registry, logger: logger)
        let exporter = noMetrics ? nil : PrometheusExporter.bootstrap(logger: logger)
        let shownHost = settings.host.contains(":") ? "[\(settings.host)]" : settings.host
        let dashboard = Dashboard(app: app, configuration: settings, exporter: exporter) { port in
            print("-> dashboard: http://\(shownHost):\(port)/")
        }
        do {
            try await ServiceRunner.run([dashboard], logger: logger)
        } catch {
            await connections.close()
            throw error
        }
        await connections.close()
    }
}
