import Celeriac
import CeleriacPrometheus
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// Celeriac's dashboard: a Hummingbird server with a live page of the cluster's workers, queues and tasks,
/// and the actions retry, revoke and purge. Works against any Celery cluster on the broker, Python workers
/// included, since it reads only Celery's events, remote-control replies and result backend.
///
/// ```swift
/// let dashboard = Dashboard(app: app, configuration: configuration)
/// try await ServiceGroup(services: [dashboard], logger: logger).run()
/// ```
public final class Dashboard: Service, Sendable {
    /// The app whose broker and backend the dashboard reads.
    public let app: CeleriacApp
    /// The settings.
    public let configuration: DashboardConfiguration
    /// The cluster state the page shows.
    public let state: ClusterState
    /// The actions.
    public let actions: DashboardActions
    /// The Prometheus exporter mounted at `GET /metrics`, if any.
    public let exporter: PrometheusExporter?
    let queues: QueueCache
    private let onRunning: @Sendable (Int) async -> Void

    /// Creates a dashboard.
    /// - Parameters:
    ///   - app: the app with the cluster's broker (and result backend for history and retries).
    ///   - configuration: address, authentication and refresh intervals.
    ///   - exporter: mounted at `GET /metrics` when given; the dashboard adds its queue and worker gauges.
    ///   - onRunning: called with the bound port once the server listens.
    public init(
        app: CeleriacApp, configuration: DashboardConfiguration = DashboardConfiguration(), exporter: PrometheusExporter? = nil,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.app = app
        self.configuration = configuration
        self.state = ClusterState(maxTasks: configuration.maxTasks)
        self.actions = DashboardActions(app: app, state: state)
        self.exporter = exporter
        self.queues = QueueCache()
        self.onRunning = onRunning
        if let exporter { DashboardMetrics.register(on: exporter, state: state, queues: queues) }
    }

    /// Serves until cancelled or a graceful shutdown: the HTTP server, the event subscription, the periodic
    /// `stats`/`active` inspection and the history refresh.
    /// - Throws: ``CeleriacError`` when the configuration is unsafe; the server's error when it cannot bind.
    public func run() async throws {
        try configuration.validate()
        let application = Application(
            router: DashboardRoutes(dashboard: self).router(),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: "celeriac-dashboard"),
            onServerRunning: { [onRunning, configuration] channel in
                let port = channel.localAddress?.port ?? configuration.port
                configuration.logger.info("dashboard: listening on http://\(configuration.host):\(port)/")
                await onRunning(port)
            },
            logger: configuration.logger)
        try await cancelWhenGracefulShutdown {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await self.followEvents() }
                group.addTask { await self.pollWorkers() }
                group.addTask { await self.refreshHistory() }
                // The server ends the dashboard: when it stops (or fails to bind), everything else stops.
                defer { group.cancelAll() }
                do {
                    try await application.run()
                } catch {
                    // Stopped by a shutdown: not a failure.
                    if Task.isCancelled { return }
                    throw error
                }
            }
        }
    }

    /// Follows the broker's event stream, reconnecting with backoff when it fails.
    func followEvents() async {
        guard let transport = app.broker as? any EventTransport else {
            configuration.logger.warning("dashboard: this broker carries no Celery events; only history and inspect replies are shown")
            return
        }
        var backoff = Duration.milliseconds(200)
        while !Task.isCancelled {
            do {
                for try await envelope in try await transport.eventEnvelopes() {
                    backoff = .milliseconds(200)
                    do {
                        for event in try EventEnvelope.decode(envelope) { state.apply(event) }
                    } catch {
                        configuration.logger.debug("dashboard: skipping a malformed event", metadata: ["error": "\(error)"])
                    }
                }
            } catch {
                if Task.isCancelled { return }
                configuration.logger.warning("dashboard: the event stream failed; reconnecting", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(5))
        }
    }

    /// Asks every worker for `stats` and `active`, and reads the queue depths, every `inspectInterval`.
    func pollWorkers() async {
        let control = (app.broker as? any ControlTransport).map(ControlClient.init(transport:))
        while !Task.isCancelled {
            if let control {
                if let stats = try? await control.call("stats", timeout: .seconds(1)) { state.applyStats(stats.map { ($0.hostname, $0.value) }) }
                if let active = try? await control.call("active", arguments: ["safe": true], timeout: .seconds(1)) { state.applyActive(active.map { ($0.hostname, $0.value) }) }
            }
            _ = try? await queueDepths()
            try? await Task.sleep(for: configuration.inspectInterval)
        }
    }

    /// Reads the result backend's recent results at start and every `historyInterval`.
    func refreshHistory() async {
        guard let history = app.backend as? any ResultHistory else {
            if app.backend != nil { configuration.logger.info("dashboard: this result backend cannot list its results; no history") }
            return
        }
        while !Task.isCancelled {
            do {
                for meta in try await history.recentResults(limit: configuration.historyLimit).reversed() { state.merge(meta) }
            } catch {
                configuration.logger.warning("dashboard: reading the result history failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: configuration.historyInterval)
        }
    }

    /// The broker's queue depths (and per-priority depths where the broker tells them), cached for metrics.
    func queueDepths() async throws -> [QueueDepth] {
        let depths = try await app.broker.queueDepths()
        var priorities: [String: [Int: Int]] = [:]
        if let inspection = app.broker as? any QueuePriorityInspection {
            priorities = (try? await inspection.queueDepthsByPriority()) ?? [:]
        }
        queues.update(depths, priorities: priorities)
        return depths
    }
}
