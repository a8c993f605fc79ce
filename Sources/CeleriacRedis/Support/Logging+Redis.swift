import Logging

/// Logger metadata keys used by this module.
enum RedisLogKey {
    /// A count of messages.
    static let count = "celeriac.count"
    /// An error.
    static let error = "celeriac.error"
}

extension Logger {
    /// A logger that discards everything: the default when the caller passes none.
    public static let redisDisabled = Logger(label: "celeriac.redis", factory: { _ in SwiftLogNoOpLogHandler() })
}
