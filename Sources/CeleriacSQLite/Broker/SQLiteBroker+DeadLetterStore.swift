import Celeriac
import Foundation

extension SQLiteBroker: DeadLetterStore {
    /// Stores a dead letter (replacing one with the same id). Its priority is taken from the message
    /// still held under the same delivery tag, if any, so a requeue keeps it.
    /// - Throws: `CeleriacError` when the database fails.
    public func deadLetter(_ entry: DeadLetter) async throws {
        let values: [SQLiteValue] = [
            .text(entry.id), .text(entry.queue), entry.taskID.map(SQLiteValue.text) ?? .null,
            entry.taskName.map(SQLiteValue.text) ?? .null, .text(entry.reason), .blob(entry.envelope),
            .real(entry.date.timeIntervalSince1970),
        ]
        try await connection.perform { db in
            try db.run(
                """
                INSERT OR REPLACE INTO celeriac_dead_letters (id, queue, priority, task_id, task_name, reason, envelope, date)
                VALUES (?1, ?2, coalesce((SELECT priority FROM celeriac_messages WHERE tag = ?1), 0), ?3, ?4, ?5, ?6, ?7)
                """, values)
        }
    }

    /// Lists up to `limit` dead letters, oldest first.
    /// - Throws: `CeleriacError` when the database fails.
    public func deadLetters(limit: Int) async throws -> [DeadLetter] {
        try await connection.perform { db in
            var letters: [DeadLetter] = []
            try db.query(
                "SELECT id, queue, task_id, task_name, reason, envelope, date FROM celeriac_dead_letters ORDER BY date, seq LIMIT ?",
                [.integer(Int64(max(limit, 0)))]
            ) { letters.append(Self.deadLetter(from: $0)) }
            return letters
        }
    }

    /// The dead letter with `id`, or `nil`.
    /// - Throws: `CeleriacError` when the database fails.
    public func deadLetter(id: String) async throws -> DeadLetter? {
        try await connection.perform { db in
            var letter: DeadLetter?
            try db.query(
                "SELECT id, queue, task_id, task_name, reason, envelope, date FROM celeriac_dead_letters WHERE id = ?", [.text(id)]
            ) { letter = Self.deadLetter(from: $0) }
            return letter
        }
    }

    /// Publishes a dead letter's envelope again, at the back of its queue (or `queue`) with its priority,
    /// and deletes the dead letter, in one transaction.
    /// - Returns: `false` when there is no dead letter with that id.
    /// - Throws: `CeleriacError` when the database fails.
    public func requeueDeadLetter(id: String, queue: String?) async throws -> Bool {
        let tag = Self.newTag()
        let now = SQLitePath.now()
        let requeued = try await connection.perform { db in
            try db.transaction {
                let copied = try db.run(
                    """
                    INSERT INTO celeriac_messages (queue, priority, tag, published_at)
                    SELECT coalesce(?2, queue), priority, ?3, ?4 FROM celeriac_dead_letters WHERE id = ?1
                    """, [.text(id), queue.map(SQLiteValue.text) ?? .null, .text(tag), .real(now)])
                guard copied > 0 else { return false }
                try db.run(
                    "INSERT INTO celeriac_message_bodies (id, envelope) SELECT last_insert_rowid(), envelope FROM celeriac_dead_letters WHERE id = ?",
                    [.text(id)])
                try db.run("DELETE FROM celeriac_dead_letters WHERE id = ?", [.text(id)])
                return true
            }
        }
        if requeued { signals.messagesChanged() }
        return requeued
    }

    /// Deletes a dead letter.
    /// - Returns: `false` when there is no dead letter with that id.
    /// - Throws: `CeleriacError` when the database fails.
    public func deleteDeadLetter(id: String) async throws -> Bool {
        try await connection.perform { db in
            try db.run("DELETE FROM celeriac_dead_letters WHERE id = ?", [.text(id)]) > 0
        }
    }

    private static func deadLetter(from row: SQLiteRow) -> DeadLetter {
        DeadLetter(
            id: row.text(0) ?? "", queue: row.text(1) ?? "", taskID: row.text(2), taskName: row.text(3), reason: row.text(4) ?? "",
            envelope: row.blob(5), date: Date(timeIntervalSince1970: row.double(6)))
    }
}
