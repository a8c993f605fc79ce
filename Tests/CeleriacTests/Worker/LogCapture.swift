import Logging
import Synchronization

/// Log records kept in memory, for tests that check what a worker logs.
final class CapturedLogs: Sendable {
    /// One logged line with its merged metadata (the handler's and the call's).
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let entries = Mutex<[Entry]>([])

    init() {}

    /// A logger at `trace` level whose records go to this capture.
    func logger(label: String = "celeriac.tests.capture") -> Logger {
        var logger = Logger(label: label) { _ in CapturingLogHandler(sink: self) }
        logger.logLevel = .trace
        return logger
    }

    func append(_ entry: Entry) { entries.withLock { $0.append(entry) } }

    /// Every record so far.
    var all: [Entry] { entries.withLock { $0 } }

    /// The records whose message contains `text`.
    func matching(_ text: String) -> [Entry] { all.filter { $0.message.contains(text) } }
}

/// A `LogHandler` that records into ``CapturedLogs``.
struct CapturingLogHandler: LogHandler {
    let sink: CapturedLogs
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(
        level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
        file: String, function: String, line: UInt
    ) {
        var merged = metadata
        if let explicit { merged.merge(explicit) { $1 } }
        sink.append(CapturedLogs.Entry(level: level, message: message.description, metadata: merged.mapValues { "\($0)" }))
    }
}
