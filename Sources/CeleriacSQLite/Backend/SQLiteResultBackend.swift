import Celeriac
import Logging
import Synchronization

/// The embedded default result backend: task results in a SQLite file, which may be the broker's file.
///
/// Each task has one row in `celeriac_taskmeta` with its status, Celery's result JSON (``ResultMeta/json()``
/// written as Python's `json.dumps` writes it), `date_done` and the time it expires. As in Celery, a stored
/// SUCCESS is never overwritten; the check and the write are one statement.
///
/// ``waitForReady(taskID:timeout:)`` is woken like ``SQLiteBroker``'s receive: at once by a store from
/// the same process, through inotify (Linux) by a store from another process, and at the latest every
/// ``Configuration/pollInterval``.
///
/// ```swift
/// let backend = try await SQLiteResultBackend(path: "/var/lib/app/celery.db")
/// let meta = try await backend.waitForReady(taskID: id, timeout: .seconds(10))
/// ```
public final class SQLiteResultBackend: ResultBackend {
    /// The database file, as given.
    public let path: String
    /// The backend's settings.
    public let configuration: Configuration

    let connection: SQLiteConnection
    private let signals: SQLiteFileSignals
    private let closed = Atomic<Bool>(false)

    /// Opens (creating if needed) the database at `path` and creates its tables when missing.
    /// - Parameters:
    ///   - path: the database file; `db+sqlite:///path` style URLs are parsed by the caller.
    ///   - configuration: the settings.
    /// - Throws: `CeleriacError` (``CeleriacError/Code/backendFailure``) when the file cannot be opened or
    ///   holds a newer schema.
    public init(path: String, configuration: Configuration = Configuration()) async throws {
        self.path = path
        self.configuration = configuration
        let connection = try await SQLiteConnection.open(path: path, busyTimeout: configuration.busyTimeout, errorCode: .backendFailure)
        try await connection.perform { try SQLiteSchema.migrate($0) }
        self.connection = connection
        self.signals = SQLiteNotifier.shared.register(path: SQLitePath.canonical(path))
    }

    deinit {
        if !closed.load(ordering: .acquiring) { SQLiteNotifier.shared.unregister(signals) }
    }

    /// Closes the database connection; later calls throw ``CeleriacError/Code/closed``.
    public func close() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        await connection.close()
        SQLiteNotifier.shared.unregister(signals)
        signals.results.notify()
    }

    /// Stores a task's state, unless a SUCCESS is already stored for it, and wakes waiters.
    /// - Throws: `CeleriacError` when the database fails.
    public func store(_ meta: ResultMeta) async throws {
        let json = JSONValue.object(meta.json()).serialized(.python)
        let expiresAt = configuration.resultExpires.map { SQLiteValue.real(SQLitePath.now() + $0.seconds) } ?? .null
        let values: [SQLiteValue] = [
            .text(meta.taskID), .text(meta.status.rawValue), .text(json), meta.dateDone.map(SQLiteValue.text) ?? .null, expiresAt,
        ]
        try await connection.perform { db in
            try db.run(
                """
                INSERT INTO celeriac_taskmeta (task_id, status, meta, date_done, expires_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (task_id) DO UPDATE SET status = excluded.status, meta = excluded.meta,
                    date_done = excluded.date_done, expires_at = excluded.expires_at
                WHERE celeriac_taskmeta.status <> 'SUCCESS'
                """, values)
        }
        signals.resultsChanged()
    }

    /// The stored state of `taskID`, or `nil` (PENDING). Expired results are returned until
    /// ``deleteExpired()`` removes them, as with Celery's database backend.
    /// - Throws: `CeleriacError` when the database fails, ``CeleriacError/Code/malformedResult`` when the
    ///   stored JSON is not result metadata.
    public func meta(for taskID: String) async throws -> ResultMeta? {
        let stored = try await connection.perform { db in
            var bytes: [UInt8]?
            try db.query("SELECT meta FROM celeriac_taskmeta WHERE task_id = ?", [.text(taskID)]) { bytes = $0.blob(0) }
            return bytes
        }
        guard let stored else { return nil }
        // Parsed here rather than on the connection's thread, which other callers are waiting for.
        let value: JSONValue
        do {
            value = try JSONValue.parse(stored)
        } catch {
            throw CeleriacError(.malformedResult, "the stored result is not JSON", taskID: taskID, underlying: error)
        }
        guard let object = value.objectValue else {
            throw CeleriacError(.malformedResult, "the stored result is not a JSON object", taskID: taskID)
        }
        return try ResultMeta(json: object)
    }

    /// Waits until the task's state is ready or `timeout` passes (`nil`: no limit).
    /// - Returns: the ready meta, or the last one seen (or `nil`) when the timeout passed.
    /// - Throws: `CeleriacError` when the database fails; `CancellationError` when the task is cancelled.
    public func waitForReady(taskID: String, timeout: Duration?) async throws -> ResultMeta? {
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now + $0 }
        while true {
            let generation = signals.results.generation
            let meta = try await meta(for: taskID)
            if let meta, meta.status.isReady { return meta }
            var wait = configuration.pollInterval
            if let deadline {
                let remaining = deadline - clock.now
                if remaining <= .zero { return meta }
                wait = min(wait, remaining)
            }
            await signals.results.wait(after: generation, timeout: wait)
            try Task.checkCancellation()
        }
    }

    /// Deletes the stored result of `taskID`, if any.
    /// - Throws: `CeleriacError` when the database fails.
    public func forget(taskID: String) async throws {
        try await connection.perform { db in _ = try db.run("DELETE FROM celeriac_taskmeta WHERE task_id = ?", [.text(taskID)]) }
    }

    /// Deletes results (and saved groups, and chord joins) stored longer ago than
    /// ``Configuration/resultExpires`` (the expiry of each is fixed when it is stored).
    /// - Returns: how many were deleted.
    /// - Throws: `CeleriacError` when the database fails.
    public func deleteExpired() async throws -> Int {
        let now = SQLitePath.now()
        let count = try await connection.perform { db in
            try db.transaction {
                var count = try db.run("DELETE FROM celeriac_taskmeta WHERE expires_at IS NOT NULL AND expires_at < ?", [.real(now)])
                count += try db.run("DELETE FROM celeriac_groupmeta WHERE expires_at IS NOT NULL AND expires_at < ?", [.real(now)])
                _ = try db.run(
                    "DELETE FROM celeriac_chord_parts WHERE group_id IN (SELECT group_id FROM celeriac_chords WHERE expires_at IS NOT NULL AND expires_at < ?)",
                    [.real(now)])
                _ = try db.run("DELETE FROM celeriac_chords WHERE expires_at IS NOT NULL AND expires_at < ?", [.real(now)])
                return count
            }
        }
        if count > 0 {
            configuration.logger.debug("deleted expired results", metadata: [SQLiteLogKey.count: "\(count)", SQLiteLogKey.path: "\(path)"])
        }
        return count
    }
}
