import Hummingbird
import Logging
import ServiceLifecycle

/// A small HTTP server answering `GET /metrics` with a ``PrometheusExporter``'s metrics: the worker's
/// `--metrics-port`. Run it as a `Service` next to the worker in a `ServiceGroup`.
///
/// It listens on `127.0.0.1` unless told otherwise: metrics name your tasks and queues, so exposing them beyond
/// the host is a choice (`--metrics-host 0.0.0.0`).
public struct MetricsServer: Service {
    /// The interface to listen on.
    public var host: String
    /// The TCP port; `0` picks a free one (see `onListening`).
    public var port: Int
    /// The exporter served.
    public let exporter: PrometheusExporter
    private let logger: Logger
    private let onListening: @Sendable (Int) async -> Void

    /// Creates the server.
    /// - Parameters:
    ///   - exporter: what `/metrics` renders.
    ///   - host: the interface (default `127.0.0.1`).
    ///   - port: the port (default 9808; `0` for any free port).
    ///   - logger: the server's logger.
    ///   - onListening: called with the bound port once the server accepts connections.
    public init(
        exporter: PrometheusExporter, host: String = "127.0.0.1", port: Int = 9808, logger: Logger = Logger(label: "celeriac.metrics"),
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.exporter = exporter
        self.host = host
        self.port = port
        self.logger = logger
        self.onListening = onListening
    }

    /// Serves until graceful shutdown or cancellation.
    public func run() async throws {
        let router = Router()
        router.addMetricsRoute(exporter)
        router.get("/") { _, _ in "Celeriac worker metrics: GET /metrics\n" }
        let logger = self.logger
        let host = self.host
        let onListening = self.onListening
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "celeriac-metrics"),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? 0
                logger.info("metrics server listening", metadata: ["address": "http://\(host):\(bound)/metrics"])
                await onListening(bound)
            },
            logger: logger)
        do {
            try await app.run()
        } catch {
            throw MetricsServerError(description: "the metrics server on \(host):\(port) failed: \(error)")
        }
    }
}

/// Why the metrics server stopped (it could not listen on its address, most often).
public struct MetricsServerError: Error, CustomStringConvertible {
    /// What happened, with the address.
    public var description: String
}
