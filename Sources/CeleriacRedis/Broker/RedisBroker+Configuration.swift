import Logging

extension RedisBroker {
    /// Settings of a ``RedisBroker``; every property has kombu's default.
    ///
    /// ```swift
    /// var configuration = RedisBroker.Configuration()
    /// configuration.visibilityTimeout = .seconds(600)   // broker_transport_options.visibility_timeout
    /// configuration.keyPrefix = "myapp:"                 // broker_transport_options.global_keyprefix
    /// let broker = try RedisBroker(url: "redis://localhost:6379/0", configuration: configuration)
    /// ```
    public struct Configuration: Sendable {
        /// How long a received message stays unacked before any consumer may restore it to its queue
        /// (kombu's `visibility_timeout`, default one hour). Workers holding a message longer call
        /// ``RedisBroker/extendLeases(_:)``.
        public var visibilityTimeout: Duration
        /// The `global_keyprefix` transport option, put before every key (empty for none).
        public var keyPrefix: String
        /// How often ``RedisBroker/receive(from:limit:timeout:)`` runs kombu's `restore_visible` by itself
        /// (default 10 s; the first receive always runs it).
        public var restoreInterval: Duration
        /// How many expired messages one `restore_visible` pass restores at most per batch (default 1000).
        public var restoreBatchSize: Int
        /// Where the broker logs (restored messages, failed restores). Logs nothing by default.
        public var logger: Logger

        /// Creates a configuration.
        /// - Parameters:
        ///   - visibilityTimeout: how long a received message stays unacked before it may be restored.
        ///   - keyPrefix: kombu's `global_keyprefix`.
        ///   - restoreInterval: how often receive restores expired messages.
        ///   - restoreBatchSize: the largest batch one restore pass handles at a time.
        ///   - logger: where to log.
        public init(
            visibilityTimeout: Duration = .seconds(3600),
            keyPrefix: String = "",
            restoreInterval: Duration = .seconds(10),
            restoreBatchSize: Int = 1000,
            logger: Logger = .redisDisabled
        ) {
            self.visibilityTimeout = visibilityTimeout
            self.keyPrefix = keyPrefix
            self.restoreInterval = restoreInterval
            self.restoreBatchSize = restoreBatchSize
            self.logger = logger
        }
    }
}
