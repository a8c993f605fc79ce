import CSQLite
import Celeriac
import Foundation

/// One sqlite3 connection with its own thread: a thin, safe wrapper over the C API.
///
/// The connection is opened with `SQLITE_OPEN_NOMUTEX` and is only ever used from its actor, whose
/// executor is a dedicated thread (``SQLiteThreadExecutor``): blocking sqlite calls (disk I/O, waiting
/// on a lock held by another process) never run on the Swift cooperative pool, and sqlite needs no
/// mutex of its own. Each owner (a broker, a result backend) opens its own connection.
///
/// Callers run several statements in one hop with ``perform(_:)``:
/// ```swift
/// let count = try await connection.perform { db in
///     try db.transaction { try db.run("DELETE FROM t WHERE x = ?", [.integer(1)]) }
/// }
/// ```
/// The database is opened in WAL mode with `synchronous=NORMAL` (no fsync per commit) and a busy
/// timeout. Errors are thrown as `CeleriacError` with the owner's code and the ``SQLiteError`` underneath.
actor SQLiteConnection {
    /// The file path as given.
    nonisolated let path: String
    /// How long to wait for another connection's lock.
    nonisolated let busyTimeout: Duration
    /// The code of the errors this connection throws.
    nonisolated let errorCode: CeleriacError.Code

    private let executor: SQLiteThreadExecutor
    /// The sqlite3 handle and statement cache, closed when the last reference goes.
    private let handle = Handle()
    private var database: OpaquePointer? { handle.database }

    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    private init(path: String, busyTimeout: Duration, errorCode: CeleriacError.Code) {
        self.path = path
        self.busyTimeout = busyTimeout
        self.errorCode = errorCode
        self.executor = SQLiteThreadExecutor(name: "celeriac.sqlite")
    }

    /// Opens (creating if needed) the database at `path` on a new connection thread.
    /// - Parameters:
    ///   - path: the database file.
    ///   - busyTimeout: how long a statement waits for another connection's lock before failing.
    ///   - errorCode: the code of the `CeleriacError`s the connection throws.
    /// - Returns: the open connection, in WAL mode.
    /// - Throws: `CeleriacError` when the file cannot be opened.
    static func open(path: String, busyTimeout: Duration, errorCode: CeleriacError.Code) async throws -> SQLiteConnection {
        let connection = SQLiteConnection(path: path, busyTimeout: busyTimeout, errorCode: errorCode)
        try await connection.openDatabase()
        return connection
    }

    /// Runs `body` on the connection's thread, with synchronous access to the connection.
    @discardableResult
    func perform<T: Sendable>(_ body: @Sendable (isolated SQLiteConnection) throws -> T) throws -> T {
        try body(self)
    }

    /// Closes the connection; later calls throw ``CeleriacError/Code/closed``. Safe to call twice.
    func close() {
        handle.close()
    }

    private func openDatabase() throws {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(handle)
            throw CeleriacError(errorCode, "cannot open the SQLite database at \(path)", underlying: SQLiteError(code: rc, message: message))
        }
        self.handle.database = handle
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, Int32(clamping: busyTimeout.milliseconds))
        // Switching a fresh file to WAL takes an exclusive lock, and sqlite answers SQLITE_BUSY at once
        // (without its busy handler) when another process opens the same fresh file at that moment.
        var mode = ""
        try retryingWhileBusy { try query("PRAGMA journal_mode=WAL") { mode = $0.text(0) ?? "" } }
        guard mode.lowercased() == "wal" else {
            throw CeleriacError(errorCode, "the SQLite database cannot use WAL mode (journal_mode is '\(mode)')")
        }
        try retryingWhileBusy { try execute("PRAGMA synchronous=NORMAL") }
    }
}

// MARK: - Handle

extension SQLiteConnection {
    /// Owns the sqlite3 handle and its statements, so they are closed when the connection goes away
    /// even if ``SQLiteConnection/close()`` was never called. Only touched from the connection's
    /// executor, or from its own deinit once nothing else can reach it.
    fileprivate final class Handle {
        var database: OpaquePointer?
        var statements: [String: SQLiteStatement] = [:]

        deinit { close() }

        func close() {
            for statement in statements.values { statement.finalize() }
            statements = [:]
            sqlite3_close_v2(database)
            database = nil
        }
    }
}

// MARK: - Statements

extension SQLiteConnection {
    /// Runs SQL text that may hold several statements and binds nothing (schema, PRAGMAs).
    func execute(_ sql: String) throws {
        let database = try openHandle()
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(database, sql, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard rc == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(database))
            throw CeleriacError(
                errorCode, "SQLite statement failed", underlying: SQLiteError(code: sqlite3_extended_errcode(database), message: text))
        }
    }

    /// Runs one statement (prepared once and cached) and returns how many rows it changed.
    @discardableResult
    func run(_ sql: String, _ values: [SQLiteValue] = []) throws -> Int {
        let database = try openHandle()
        try query(sql, values) { _ in }
        return Int(sqlite3_changes64(database))
    }

    /// Runs one statement (prepared once and cached), calling `each` for every row.
    ///
    /// The row is only valid inside `each`.
    func query(_ sql: String, _ values: [SQLiteValue] = [], _ each: (SQLiteRow) throws -> Void) throws {
        let statement = try prepared(sql)
        defer { statement.reset() }
        do {
            try statement.bind(values)
            while try statement.step() { try each(statement.row) }
        } catch let error as SQLiteError {
            throw CeleriacError(errorCode, "SQLite statement failed", underlying: error)
        }
    }

    /// The first column of the first row as an integer, or `nil` when there is no row.
    func integer(_ sql: String, _ values: [SQLiteValue] = []) throws -> Int64? {
        var result: Int64?
        try query(sql, values) { row in if result == nil { result = row.int64(0) } }
        return result
    }

    /// The cached prepared statement for `sql`, compiling it on first use.
    func prepared(_ sql: String) throws -> SQLiteStatement {
        if let statement = handle.statements[sql] { return statement }
        let database = try openHandle()
        do {
            let statement = try SQLiteStatement(sql: sql, database: database)
            handle.statements[sql] = statement
            return statement
        } catch {
            throw CeleriacError(errorCode, "SQLite statement does not compile", underlying: error)
        }
    }

    private func openHandle() throws -> OpaquePointer {
        guard let database else { throw CeleriacError(.closed, "the SQLite connection is closed") }
        return database
    }
}

// MARK: - Transactions

extension SQLiteConnection {
    /// Runs `body` in a `BEGIN IMMEDIATE` transaction: committed when it returns, rolled back when it throws.
    ///
    /// `BEGIN IMMEDIATE` takes the write lock up front, so two connections never deadlock upgrading a
    /// read to a write. It is retried on `SQLITE_BUSY` until ``busyTimeout`` passes (sqlite's busy
    /// handler covers most waits; the retry covers the cases where sqlite returns `SQLITE_BUSY` at once).
    /// Called inside a transaction, `body` simply joins it.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        let database = try openHandle()
        if sqlite3_get_autocommit(database) == 0 { return try body() }
        try beginImmediate()
        let value: T
        do {
            value = try body()
            try run("COMMIT")
        } catch {
            if sqlite3_get_autocommit(database) == 0 { _ = try? run("ROLLBACK") }
            throw error
        }
        return value
    }

    private func beginImmediate() throws {
        try retryingWhileBusy { try run("BEGIN IMMEDIATE") }
    }

    /// Runs `body` again while it fails with `SQLITE_BUSY`, with a growing pause, until ``busyTimeout`` passes.
    func retryingWhileBusy(_ body: () throws -> Void) throws {
        let clock = ContinuousClock()
        let deadline = clock.now + busyTimeout
        var pause = Duration.microseconds(200)
        while true {
            do {
                try body()
                return
            } catch let error as CeleriacError {
                guard let sqliteError = error.underlying as? SQLiteError, sqliteError.isBusy, clock.now < deadline else { throw error }
                // A blocking sleep is fine here: this is the connection's own thread, not the cooperative pool.
                Thread.sleep(forTimeInterval: pause.seconds)
                pause = min(pause * 2, .milliseconds(20))
            }
        }
    }
}

extension Duration {
    /// The duration in whole milliseconds.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// The duration in seconds, as a double.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
