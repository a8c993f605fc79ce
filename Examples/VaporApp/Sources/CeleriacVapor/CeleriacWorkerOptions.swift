import Celeriac
import Foundation
import Logging

/// How a worker started from Vapor runs: the in-process worker (`app.celeriac.inProcessWorker`) and the
/// `celeriac worker` command. Options left `nil` come from the settings (`worker_concurrency`,
/// `task_default_queue`, ...), as in `celery worker`.
public struct CeleriacWorkerOptions: Sendable {
    /// Tasks run at once (`-c`); `nil`: `worker_concurrency`, then the number of CPUs.
    public var concurrency: Int?
    /// The queues consumed (`-Q`); `nil`: the default queue (`task_default_queue`, `celery`).
    public var queues: [String]?
    /// The node name (`-n`), where `%h` is the host, `%n` the host before the first dot and `%d` the rest;
    /// `nil`: `CELERIAC_WORKER_HOSTNAME`, then `celery@%h`.
    public var hostname: String?
    /// Messages reserved per slot; `nil`: `worker_prefetch_multiplier` (4).
    public var prefetchMultiplier: Int?
    /// How long a warm shutdown waits for running tasks before cancelling them.
    public var gracePeriod: Duration
    /// Send task events for monitors such as Flower (`-E`); `nil`: `worker_send_task_events`.
    public var taskEvents: Bool?
    /// The worker's log level; `nil`: the application logger's.
    public var logLevel: Logger.Level?

    /// Creates options; every one left out comes from the settings.
    public init(
        concurrency: Int? = nil, queues: [String]? = nil, hostname: String? = nil, prefetchMultiplier: Int? = nil,
        gracePeriod: Duration = .seconds(30), taskEvents: Bool? = nil, logLevel: Logger.Level? = nil
    ) {
        self.concurrency = concurrency
        self.queues = queues
        self.hostname = hostname
        self.prefetchMultiplier = prefetchMultiplier
        self.gracePeriod = gracePeriod
        self.taskEvents = taskEvents
        self.logLevel = logLevel
    }

    /// The worker's configuration under `settings`, as `celeriac worker` builds it.
    public func workerConfiguration(for settings: CeleriacConfiguration) -> Worker.Configuration {
        let queueList = (queues ?? []).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var configuration = Worker.Configuration(
            concurrency: concurrency ?? settings.workerConcurrency ?? System.coreCount,
            prefetchMultiplier: prefetchMultiplier ?? settings.workerPrefetchMultiplier,
            queues: queueList.isEmpty ? [settings.taskDefaultQueue] : queueList,
            hostname: Self.expandNodeName(hostname ?? settings.workerHostname ?? "celery@%h"),
            etaLimit: settings.workerEtaLimit ?? Int.max,
            shutdownGracePeriod: gracePeriod,
            keepDeadLetters: settings.deadLetterEnabled)
        configuration.taskEvents = taskEvents ?? settings.workerSendTaskEvents
        return configuration
    }

    /// `base` at ``logLevel``, when one is set.
    func logger(from base: Logger) -> Logger {
        var logger = base
        if let logLevel { logger.logLevel = logLevel }
        return logger
    }

    /// Celery's node name template: `%h` host, `%n` the host before the first dot, `%d` the rest; `@host` is
    /// added to a name without one.
    static func expandNodeName(_ template: String) -> String {
        let host = System.hostName
        let parts = host.split(separator: ".", maxSplits: 1).map(String.init)
        let short = parts.first ?? host
        let domain = parts.count > 1 ? parts[1] : ""
        var name = template.replacingOccurrences(of: "%h", with: host)
            .replacingOccurrences(of: "%n", with: short)
            .replacingOccurrences(of: "%d", with: domain)
        if !name.contains("@") { name += "@" + host }
        return name
    }
}
