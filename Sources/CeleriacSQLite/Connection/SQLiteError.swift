import CSQLite

/// An error reported by sqlite3: its result code and message.
///
/// The SQLite broker and result backend throw `CeleriacError` (``CeleriacError/Code/brokerFailure`` or
/// ``CeleriacError/Code/backendFailure``) with this as its `underlying` error.
public struct SQLiteError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The extended result code (`SQLITE_BUSY`, `SQLITE_CONSTRAINT_UNIQUE`...).
    public var code: Int32
    /// sqlite's message (`sqlite3_errmsg`), which never contains bound values.
    public var message: String

    /// Creates an error.
    /// - Parameters:
    ///   - code: the extended result code.
    ///   - message: sqlite's message.
    public init(code: Int32, message: String) {
        self.code = code
        self.message = message
    }

    /// The primary result code (the low 8 bits of ``code``).
    public var primaryCode: Int32 { code & 0xff }

    /// Whether the database was locked by another connection (`SQLITE_BUSY` or `SQLITE_LOCKED`).
    public var isBusy: Bool { primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED }

    /// `"sqlite error <code>: <message>"`.
    public var description: String { "sqlite error \(code): \(message)" }
}
