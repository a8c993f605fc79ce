import CoreMetrics
import Logging
import Prometheus
import Synchronization

/// Celeriac's Prometheus exporter: a `PrometheusCollectorRegistry` that swift-metrics writes into, rendered in
/// Prometheus's text exposition format for a `GET /metrics` endpoint.
///
/// A process bootstraps swift-metrics once, with ``PrometheusExporter/bootstrap(logger:)``; every
/// `Counter`/`Timer`/`Meter` created after that (the worker's `celeriac_*` metrics, Hummingbird's, your own)
/// lands in the exporter's registry:
/// ```swift
/// let exporter = PrometheusExporter.bootstrap()
/// let router = Router()
/// router.addMetricsRoute(exporter)            // GET /metrics
/// ```
/// Tests, and processes whose metrics should not be global, bind the exporter's ``factory`` to a task instead:
/// `withMetricsFactory(exporter.factory) { ... }`.
public final class PrometheusExporter: Sendable {
    /// The registry the exporter renders.
    public let registry: PrometheusCollectorRegistry
    /// The swift-metrics factory writing into ``registry``, with Celeriac's histogram buckets.
    public let factory: PrometheusMetricsFactory
    private let hooks = Mutex<[@Sendable () -> Void]>([])

    /// The content type of ``render()``'s output (Prometheus text format 0.0.4).
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The run-time buckets of the worker's `celeriac_task_runtime_seconds` and `celeriac_task_queue_wait_seconds`
    /// histograms: 5 ms to 10 minutes, since tasks are often far longer than an HTTP request.
    public static let taskDurationBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        .seconds(30), .seconds(60), .seconds(120), .seconds(300), .seconds(600),
    ]

    /// Creates an exporter over `registry`. It is not bootstrapped into swift-metrics: see
    /// ``bootstrap(logger:)`` or bind ``factory`` with `withMetricsFactory`.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        for label in ["celeriac_task_runtime_seconds", "celeriac_task_queue_wait_seconds"] {
            factory.durationHistogramBuckets[label] = Self.taskDurationBuckets
        }
        self.factory = factory
    }

    /// The process's exporter, bootstrapping swift-metrics with it on the first call (swift-metrics allows one
    /// bootstrap per process; later calls return the same exporter).
    ///
    /// When the process already bootstrapped a `PrometheusMetricsFactory` itself, the exporter renders that
    /// factory's registry. When it bootstrapped another backend, nothing can be added: the exporter renders
    /// only what is registered on its own registry, and a warning is logged.
    @discardableResult
    public static func bootstrap(logger: Logger = Logger(label: "celeriac.prometheus")) -> PrometheusExporter {
        let (exporter, warning) = process
        if let warning { logger.warning("\(warning)") }
        return exporter
    }

    /// Whether ``bootstrap(logger:)`` made this exporter's registry the one swift-metrics writes into.
    public static var isBootstrapped: Bool { process.1 == nil }

    private static let process: (PrometheusExporter, String?) = {
        let current = MetricsSystem.factory
        if let prometheus = current as? PrometheusMetricsFactory {
            return (PrometheusExporter(registry: prometheus.registry), nil)
        }
        guard current is NOOPMetricsHandler else {
            return (PrometheusExporter(), "swift-metrics was already bootstrapped with \(type(of: current)); Celeriac's Prometheus endpoint shows none of its metrics")
        }
        let exporter = PrometheusExporter()
        MetricsSystem.bootstrap(exporter.factory)
        return (exporter, nil)
    }()

    /// Adds a closure run before each ``render()``: a worker refreshes its gauges there, so a scrape sees the
    /// current number of running and prefetched tasks.
    public func onCollect(_ hook: @escaping @Sendable () -> Void) {
        hooks.withLock { $0.append(hook) }
    }

    /// Every metric in the registry, in Prometheus text exposition format.
    public func render() -> String {
        runHooks()
        return registry.emitToString()
    }

    /// ``render()`` as UTF-8 bytes.
    public func renderBytes() -> [UInt8] {
        runHooks()
        return registry.emitToBuffer()
    }

    private func runHooks() {
        for hook in hooks.withLock({ $0 }) { hook() }
    }
}
