import CSQLite

/// A value to bind to a statement parameter.
enum SQLiteValue: Sendable, Hashable {
    /// `NULL`
    case null
    /// A 64-bit integer.
    case integer(Int64)
    /// A double.
    case real(Double)
    /// UTF-8 text.
    case text(String)
    /// Bytes.
    case blob([UInt8])
}

/// A prepared statement owned by one ``SQLiteConnection`` and used only on its executor.
///
/// Not `Sendable`: it never leaves the connection's isolation.
final class SQLiteStatement {
    /// The sqlite3_stmt handle; `nil` once finalized.
    private(set) var handle: OpaquePointer?
    /// The connection's handle, for error messages.
    private let database: OpaquePointer

    /// Compiles `sql` on `database`.
    /// - Throws: ``SQLiteError`` when the SQL does not compile.
    init(sql: String, database: OpaquePointer) throws(SQLiteError) {
        self.database = database
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(database, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else {
            sqlite3_finalize(statement)
            throw SQLiteError(code: sqlite3_extended_errcode(database), message: String(cString: sqlite3_errmsg(database)))
        }
        self.handle = statement
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// Finalizes the statement; further use fails.
    func finalize() {
        sqlite3_finalize(handle)
        handle = nil
    }

    /// Resets the statement and clears its bindings, ready for the next use.
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Binds values to parameters 1...n.
    func bind(_ values: [SQLiteValue]) throws(SQLiteError) {
        for (offset, value) in values.enumerated() {
            try bind(value, at: Int32(offset + 1))
        }
    }

    /// Binds one value to the 1-based parameter `index`.
    func bind(_ value: SQLiteValue, at index: Int32) throws(SQLiteError) {
        let rc: Int32
        switch value {
        case .null:
            rc = sqlite3_bind_null(handle, index)
        case .integer(let integer):
            rc = sqlite3_bind_int64(handle, index, integer)
        case .real(let real):
            rc = sqlite3_bind_double(handle, index, real)
        case .text(var text):
            rc = text.withUTF8 { utf8 in
                guard let base = utf8.baseAddress else { return sqlite3_bind_text(handle, index, "", 0, sqliteTransient) }
                return base.withMemoryRebound(to: CChar.self, capacity: utf8.count) {
                    sqlite3_bind_text64(handle, index, $0, sqlite3_uint64(utf8.count), sqliteTransient, UInt8(SQLITE_UTF8))
                }
            }
        case .blob(let bytes):
            rc = bytes.withUnsafeBytes { raw in
                guard let base = raw.baseAddress else { return sqlite3_bind_zeroblob(handle, index, 0) }
                return sqlite3_bind_blob64(handle, index, base, sqlite3_uint64(raw.count), sqliteTransient)
            }
        }
        try check(rc)
    }

    /// Runs one step.
    /// - Returns: `true` when a row is available, `false` when the statement is done.
    func step() throws(SQLiteError) -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw SQLiteError(code: sqlite3_extended_errcode(database), message: String(cString: sqlite3_errmsg(database)))
        }
    }

    /// The current row; valid until the next ``step()`` or ``reset()``.
    var row: SQLiteRow { SQLiteRow(handle: handle) }

    private func check(_ rc: Int32) throws(SQLiteError) {
        guard rc == SQLITE_OK else {
            throw SQLiteError(code: sqlite3_extended_errcode(database), message: String(cString: sqlite3_errmsg(database)))
        }
    }
}

/// Reads the columns of a statement's current row (0-based indexes).
struct SQLiteRow {
    fileprivate let handle: OpaquePointer?

    /// Whether the column is `NULL`.
    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    /// The column as an integer (0 when `NULL`).
    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    /// The column as an `Int` (0 when `NULL`).
    func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(handle, column)) }

    /// The column as a double (0 when `NULL`).
    func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }

    /// The column as text, or `nil` when `NULL`.
    func text(_ column: Int32) -> String? {
        guard let text = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// The column as bytes (empty when `NULL`).
    func blob(_ column: Int32) -> [UInt8] {
        guard let blob = sqlite3_column_blob(handle, column) else { return [] }
        let count = Int(sqlite3_column_bytes(handle, column))
        return [UInt8](UnsafeRawBufferPointer(start: blob, count: count))
    }
}

/// `SQLITE_TRANSIENT`: sqlite copies the bound bytes before the bind call returns.
private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
