import class Foundation.ProcessInfo

import Synchronization
extension Worker {
    /// How a worker runs: Celery's `worker` options.
    public struct Configuration: Sendable {
        /// Tasks run at once (`-c`).
        public var concurrency: Int
        /// Messages reserved per slot (`worker_prefetch_multiplier`); the prefetch window is
        /// `concurrency * prefetchMultiplier` (at least `concurrency`).
        public var prefetchMultiplier: Int
        /// The queues consumed (`-Q a,b`).
        public var queues: [String]
        /// The node name (`-n name@host`).
        public var hostname: String
        /// The most ETA/countdown messages held outside the prefetch window; past it, held ETA messages
        /// count against the window, so the worker takes no more than it can hold.
        public var etaLimit: Int
        /// How long a warm shutdown waits for running tasks before cancelling them.
        public var shutdownGracePeriod: Duration
        /// How often held messages' leases are extended; derived from the visibility timeout when `nil`.
        public var leaseRenewInterval: Duration?
        /// How often the revoked set is refreshed from the broker.
        public var revocationRefreshInterval: Duration
        /// How long one receive call waits for a message.
        public var receiveTimeout: Duration
        /// Keep messages that cannot be processed in the broker's dead-letter store (`true`), or drop them.
        public var keepDeadLetters: Bool
        /// Send task events from the start (Celery's `-E`, `worker_send_task_events`); `enable_events` turns
        /// them on later. Off by default, as in Celery.
        public var taskEvents = false
        /// Send worker events (online, heartbeats, offline) when the broker carries events; Celery's workers
        /// always do unless started without gossip and heartbeats.
        public var workerEvents = true

        /// Creates a configuration.
        /// - Parameters:
        ///   - concurrency: tasks run at once; the number of CPUs by default.
        ///   - prefetchMultiplier: Celery's default is 4.
        ///   - queues: `["celery"]` by default.
        ///   - hostname: `celery@<host>` by default.
        public init(
            concurrency: Int = System.coreCount, prefetchMultiplier: Int = 4, queues: [String] = ["celery"],
            hostname: String = "celery@\(System.hostName)", etaLimit: Int = 1000, shutdownGracePeriod: Duration = .seconds(30),
            leaseRenewInterval: Duration? = nil, revocationRefreshInterval: Duration = .seconds(1), receiveTimeout: Duration = .seconds(1),
            keepDeadLetters: Bool = true
        ) {
            self.concurrency = max(1, concurrency)
            self.prefetchMultiplier = max(0, prefetchMultiplier)
            self.queues = queues.isEmpty ? ["celery"] : queues
            self.hostname = hostname
            self.etaLimit = max(0, etaLimit)
            self.shutdownGracePeriod = shutdownGracePeriod
            self.leaseRenewInterval = leaseRenewInterval
            self.revocationRefreshInterval = revocationRefreshInterval
            self.receiveTimeout = receiveTimeout
            self.keepDeadLetters = keepDeadLetters
        }

        /// The prefetch window.
        var window: Int {
            prefetchMultiplier == 0 ? max(concurrency * 64, 1024) : max(concurrency, concurrency * prefetchMultiplier)
        }
    }
}

/// Facts about the running system.
public enum System {
    /// The number of active CPUs.
    public static var coreCount: Int { ProcessInfo.processInfo.activeProcessorCount }
    /// The host name.
    public static var hostName: String { ProcessInfo.processInfo.hostName }
    /// The process id.
    public static var processID: Int { Int(ProcessInfo.processInfo.processIdentifier) }
}

