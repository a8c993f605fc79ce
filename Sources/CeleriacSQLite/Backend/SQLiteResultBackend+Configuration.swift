import Logging

extension SQLiteResultBackend {
    /// Settings of a ``SQLiteResultBackend``; every property has a default.
    public struct Configuration: Sendable {
        /// How long a stored result is kept before ``SQLiteResultBackend/deleteExpired()`` removes it
        /// (Celery's `result_expires`, default one day); `nil` keeps results forever.
        public var resultExpires: Duration?
        /// How long a statement waits for another connection's write lock before failing (default 5 s).
        public var busyTimeout: Duration
        /// The longest ``SQLiteResultBackend/waitForReady(taskID:timeout:)`` goes without looking at the
        /// database (default 100 ms), behind the in-process and inotify wake-ups.
        public var pollInterval: Duration
        /// Where the backend logs. Logs nothing by default.
        public var logger: Logger

        /// Creates a configuration.
        /// - Parameters:
        ///   - resultExpires: how long results are kept; `nil` keeps them forever.
        ///   - busyTimeout: how long to wait for another connection's lock.
        ///   - pollInterval: the longest a waiter goes without looking at the database.
        ///   - logger: where to log.
        public init(
            resultExpires: Duration? = .seconds(86400),
            busyTimeout: Duration = .milliseconds(5000),
            pollInterval: Duration = .milliseconds(100),
            logger: Logger = .sqliteDisabled
        ) {
            self.resultExpires = resultExpires
            self.busyTimeout = busyTimeout
            self.pollInterval = pollInterval
            self.logger = logger
        }
    }
}
