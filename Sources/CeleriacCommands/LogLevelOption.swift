import ArgumentParser
import Logging
import Synchronization

/// Celery's `--loglevel` values mapped to swift-log levels.
public enum LogLevelOption: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// DEBUG
    case debug
    /// INFO
    case info
    /// WARNING
    case warning
    /// ERROR
    case error
    /// CRITICAL
    case critical
    /// FATAL (as CRITICAL)
    case fatal

    /// Parses Celery's names in any case (`INFO`, `info`, `warn`).
    public init?(argument: String) {
        switch argument.lowercased() {
        case "debug": self = .debug
        case "info": self = .info
        case "warning", "warn": self = .warning
        case "error": self = .error
        case "critical": self = .critical
        case "fatal": self = .fatal
        default: return nil
        }
    }

    /// The swift-log level.
    public var level: Logger.Level {
        switch self {
        case .debug: .debug
        case .info: .info
        case .warning: .warning
        case .error: .error
        case .critical, .fatal: .critical
        }
    }
}

/// Sets up swift-log once per process for the command line: lines on standard error at a level.
public enum CommandLogging {
    private static let bootstrapped = Mutex(false)

    /// A logger at `level`, bootstrapping the logging system on first use.
    public static func logger(label: String, level: LogLevelOption) -> Logger {
        bootstrapped.withLock { done in
            if !done {
                LoggingSystem.bootstrap(StreamLogHandler.standardError)
                done = true
            }
        }
        var logger = Logger(label: label)
        logger.logLevel = level.level
        return logger
    }
}
