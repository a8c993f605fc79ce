import Celeriac
import Foundation
import Synchronization

/// The ``BeatStore`` of the embedded SQLite broker: the beat lease and entry states in tables of the same
/// database file (see ``SQLiteBeatSchema``), shared by every beat process on the machine.
///
/// Each operation is one `BEGIN IMMEDIATE` transaction, so the lease check and the compare-and-set of a
/// claim are atomic across processes. Lease times use this machine's clock, which every process sharing the
/// file has in common.
/// ```swift
/// let store = try await SQLiteBeatStore(path: "celeriac.sqlite")
/// let beat = Beat(app: app, entries: entries, store: store, logger: logger)
/// ```
public final class SQLiteBeatStore: BeatStore {
    /// The database file, as given.
    public let path: String
    /// The lease's name: beats with different names (different applications on one file) do not compete.
    public let leaseName: String
    private let connection: SQLiteConnection
    private let closed = Atomic<Bool>(false)

    /// Opens (creating if needed) the database and the beat tables.
    /// - Parameters:
    ///   - path: the database file (usually the broker's).
    ///   - leaseName: the lease's name ("default").
    ///   - busyTimeout: how long to wait for another process's lock.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/brokerFailure``) when the file cannot be opened.
    public init(path: String, leaseName: String = "default", busyTimeout: Duration = .seconds(10)) async throws {
        self.path = path
        self.leaseName = leaseName
        let connection = try await SQLiteConnection.open(path: path, busyTimeout: busyTimeout, errorCode: .brokerFailure)
        do {
            try await connection.perform { try SQLiteBeatSchema.create($0) }
        } catch {
            await connection.close()
            throw error
        }
        self.connection = connection
    }

    /// Closes the connection.
    public func close() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        await connection.close()
    }

    /// Takes or extends the lease (see ``BeatStore``).
    public func acquireLease(holder: String, ttl: Duration) async throws -> Bool {
        let now = Self.nowMillis()
        let name = leaseName
        return try await connection.perform { db in
            try db.transaction {
                try db.run(
                    """
                    INSERT INTO celeriac_beat_lease (name, holder, expires_at) VALUES (?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                    WHERE celeriac_beat_lease.holder = excluded.holder OR celeriac_beat_lease.expires_at <= ?
                    """, [.text(name), .text(holder), .integer(now + ttl.millisecondsValue), .integer(now)]) == 1
            }
        }
    }

    /// Extends the lease if `holder` still holds it.
    public func renewLease(holder: String, ttl: Duration) async throws -> Bool {
        let now = Self.nowMillis()
        let name = leaseName
        return try await connection.perform { db in
            try db.run(
                "UPDATE celeriac_beat_lease SET expires_at = ? WHERE name = ? AND holder = ? AND expires_at > ?",
                [.integer(now + ttl.millisecondsValue), .text(name), .text(holder), .integer(now)]) == 1
        }
    }

    /// Deletes the lease if `holder` holds it.
    public func releaseLease(holder: String) async throws {
        let name = leaseName
        try await connection.perform { db in
            try db.run("DELETE FROM celeriac_beat_lease WHERE name = ? AND holder = ?", [.text(name), .text(holder)])
        }
    }

    /// The unexpired holder, or `nil`.
    public func leaseHolder() async throws -> String? {
        let now = Self.nowMillis()
        let name = leaseName
        return try await connection.perform { db in
            var holder: String?
            try db.query("SELECT holder FROM celeriac_beat_lease WHERE name = ? AND expires_at > ?", [.text(name), .integer(now)]) { row in
                holder = row.text(0)
            }
            return holder
        }
    }

    /// The stored states of the named entries.
    public func states(for entries: [String]) async throws -> [String: BeatEntryState] {
        let wanted = Set(entries)
        return try await connection.perform { db in
            var states: [String: BeatEntryState] = [:]
            try db.query("SELECT name, tick, last_run, task_id, sent FROM celeriac_beat_entries") { row in
                guard let name = row.text(0), wanted.contains(name) else { return }
                states[name] = BeatEntryState(tick: row.int64(1), lastRun: row.int64(2), taskID: row.text(3) ?? "", sent: row.int64(4) != 0)
            }
            return states
        }
    }

    /// Compare-and-set of the entry's tick, only while `holder` holds the lease.
    public func claim(entry: String, expectedTick: Int64?, next: BeatEntryState, holder: String) async throws -> Bool {
        let now = Self.nowMillis()
        let name = leaseName
        return try await connection.perform { db in
            try db.transaction {
                guard try Self.holds(db, name: name, holder: holder, now: now) else { return false }
                let values: [SQLiteValue] = [.text(entry), .integer(next.tick), .integer(next.lastRun), .text(next.taskID), .integer(next.sent ? 1 : 0)]
                guard let expectedTick else {
                    return try db.run(
                        "INSERT INTO celeriac_beat_entries (name, tick, last_run, task_id, sent) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
                        values) == 1
                }
                return try db.run(
                    "UPDATE celeriac_beat_entries SET tick = ?, last_run = ?, task_id = ?, sent = ? WHERE name = ? AND tick = ?",
                    Array(values.dropFirst()) + [.text(entry), .integer(expectedTick)]) == 1
            }
        }
    }

    /// Records the tick as sent, only while `holder` holds the lease and the tick is current.
    public func markSent(entry: String, tick: Int64, holder: String) async throws -> Bool {
        let now = Self.nowMillis()
        let name = leaseName
        return try await connection.perform { db in
            try db.transaction {
                guard try Self.holds(db, name: name, holder: holder, now: now) else { return false }
                return try db.run("UPDATE celeriac_beat_entries SET sent = 1 WHERE name = ? AND tick = ?", [.text(entry), .integer(tick)]) == 1
            }
        }
    }

    private static func holds(_ db: isolated SQLiteConnection, name: String, holder: String, now: Int64) throws -> Bool {
        try db.integer(
            "SELECT COUNT(*) FROM celeriac_beat_lease WHERE name = ? AND holder = ? AND expires_at > ?", [.text(name), .text(holder), .integer(now)]) == 1
    }

    private static func nowMillis() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}

extension Duration {
    /// The duration in whole milliseconds, for lease expiry times.
    var millisecondsValue: Int64 { milliseconds }
}
