import Logging

extension RedisResultBackend {
    /// Settings of a ``RedisResultBackend``; every property has Celery's default.
    ///
    /// ```swift
    /// var configuration = RedisResultBackend.Configuration()
    /// configuration.resultExpires = .seconds(3600)   // result_expires
    /// let backend = try RedisResultBackend(url: "redis://localhost:6379/0", configuration: configuration)
    /// ```
    public struct Configuration: Sendable {
        /// How long results are kept (`result_expires`, default one day); `nil` keeps them forever (`SET`
        /// instead of `SETEX`).
        public var resultExpires: Duration?
        /// The `result_backend_transport_options.global_keyprefix`, put before every key; `_` is appended
        /// unless it already ends in `:`, `_`, `-` or `.`, as Celery does. Empty for none.
        public var keyPrefix: String
        /// Where the backend logs. Logs nothing by default.
        public var logger: Logger

        /// Creates a configuration.
        /// - Parameters:
        ///   - resultExpires: how long results are kept; `nil` for ever.
        ///   - keyPrefix: Celery's result `global_keyprefix`.
        ///   - logger: where to log.
        public init(resultExpires: Duration? = .seconds(86400), keyPrefix: String = "", logger: Logger = .redisDisabled) {
            self.resultExpires = resultExpires
            self.keyPrefix = keyPrefix
            self.logger = logger
        }

        /// The prefix as Celery applies it (`_add_global_keyprefix`).
        var effectivePrefix: String {
            guard let last = keyPrefix.last else { return "" }
            return ":_-.".contains(last) ? keyPrefix : keyPrefix + "_"
        }
    }
}
