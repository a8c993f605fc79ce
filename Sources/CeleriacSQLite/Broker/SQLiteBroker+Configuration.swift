import Logging

extension SQLiteBroker {
    /// Settings of a ``SQLiteBroker``; every property has a default.
    ///
    /// ```swift
    /// var configuration = SQLiteBroker.Configuration()
    /// configuration.visibilityTimeout = .seconds(600)
    /// configuration.logger = logger
    /// let broker = try await SQLiteBroker(path: "/var/lib/app/celery.db", configuration: configuration)
    /// ```
    public struct Configuration: Sendable {
        /// How long a received message stays unacked before it is restored to its queue for another
        /// worker (kombu's `visibility_timeout`, default one hour). Workers holding a message longer
        /// call ``SQLiteBroker/extendLeases(_:)``.
        public var visibilityTimeout: Duration
        /// How long a statement waits for another connection's write lock before failing (default 5 s).
        public var busyTimeout: Duration
        /// The longest a waiting ``SQLiteBroker/receive(from:limit:timeout:)`` goes without looking at the
        /// database (default 100 ms): the safety net behind the in-process and inotify wake-ups, and the
        /// only wake-up for other processes' writes on platforms without inotify.
        public var pollInterval: Duration
        /// How often `receive` restores expired leases by itself (default 5 s), like kombu's `restore_visible`.
        public var restoreInterval: Duration
        /// How long revoked task ids are kept (Celery's `REVOKE_EXPIRES`, default 3 hours); `nil` keeps them.
        public var revokedExpiry: Duration?
        /// Where the broker logs (restored messages, schema creation). Logs nothing by default.
        public var logger: Logger

        /// Creates a configuration.
        /// - Parameters:
        ///   - visibilityTimeout: how long a received message stays unacked before it is restored.
        ///   - busyTimeout: how long to wait for another connection's lock.
        ///   - pollInterval: the longest a waiting receive goes without looking at the database.
        ///   - restoreInterval: how often receive restores expired leases.
        ///   - revokedExpiry: how long revoked task ids are kept; `nil` keeps them.
        ///   - logger: where to log.
        public init(
            visibilityTimeout: Duration = .seconds(3600),
            busyTimeout: Duration = .milliseconds(5000),
            pollInterval: Duration = .milliseconds(100),
            restoreInterval: Duration = .seconds(5),
            revokedExpiry: Duration? = .seconds(10800),
            logger: Logger = .sqliteDisabled
        ) {
            self.visibilityTimeout = visibilityTimeout
            self.busyTimeout = busyTimeout
            self.pollInterval = pollInterval
            self.restoreInterval = restoreInterval
            self.revokedExpiry = revokedExpiry
            self.logger = logger
        }
    }
}
