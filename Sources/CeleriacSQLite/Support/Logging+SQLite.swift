import Logging

/// Logger metadata keys used by this module.
enum SQLiteLogKey {
    /// The database file path.
    static let path = "celeriac.sqlite.path"
    /// A count of messages or results.
    static let count = "celeriac.count"
}

extension Logger {
    /// A logger that discards everything: the default when the caller passes none.
    @usableFromInline static let sqliteDisabled = Logger(label: "celeriac.sqlite", factory: { _ in SwiftLogNoOpLogHandler() })
}
