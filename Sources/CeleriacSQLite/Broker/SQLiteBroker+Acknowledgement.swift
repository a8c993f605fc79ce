import Celeriac

extension SQLiteBroker {
    /// Deletes acknowledged messages, all in one transaction. Unknown tags are ignored.
    /// - Throws: `CeleriacError` when the database fails.
    public func ack(_ tags: [DeliveryTag]) async throws {
        guard !tags.isEmpty else { return }
        let tags = tags.map(\.rawValue)
        try await connection.perform { db in
            try db.transaction {
                for tag in tags { try db.run("DELETE FROM celeriac_messages WHERE tag = ?", [.text(tag)]) }
            }
        }
    }

    /// Rejects a delivery: with `requeue`, it goes to the back of its queue (marked redelivered, with a
    /// new tag); otherwise it is deleted. An unknown tag is ignored.
    /// - Throws: `CeleriacError` when the database fails.
    public func reject(_ tag: DeliveryTag, requeue: Bool) async throws {
        let tag = tag.rawValue
        guard requeue else {
            try await connection.perform { db in _ = try db.run("DELETE FROM celeriac_messages WHERE tag = ?", [.text(tag)]) }
            return
        }
        let newTag = Self.newTag()
        let requeued = try await connection.perform { db in
            try db.transaction {
                // A new row takes a new, higher id: the back of the queue.
                let copied = try db.run(
                    """
                    INSERT INTO celeriac_messages (queue, priority, tag, redelivered, published_at)
                    SELECT queue, priority, ?, 1, published_at FROM celeriac_messages WHERE tag = ?
                    """, [.text(newTag), .text(tag)])
                if copied > 0 {
                    try db.run(
                        """
                        INSERT INTO celeriac_message_bodies (id, envelope)
                        SELECT last_insert_rowid(), b.envelope FROM celeriac_message_bodies b
                        JOIN celeriac_messages m ON m.id = b.id WHERE m.tag = ?
                        """, [.text(tag)])
                }
                try db.run("DELETE FROM celeriac_messages WHERE tag = ?", [.text(tag)])
                return copied > 0
            }
        }
        if requeued { signals.messagesChanged() }
    }

    /// Puts unacked deliveries back at the front of their queues (they keep their place in FIFO order),
    /// marked redelivered, in one transaction.
    /// - Throws: `CeleriacError` when the database fails.
    public func giveBack(_ tags: [DeliveryTag]) async throws {
        guard !tags.isEmpty else { return }
        let tags = tags.map(\.rawValue)
        let count = try await connection.perform { db in
            try db.transaction {
                var count = 0
                for tag in tags {
                    count += try db.run(
                        "UPDATE celeriac_messages SET state = 0, lease_until = NULL, redelivered = 1 WHERE tag = ? AND state = 1",
                        [.text(tag)])
                }
                return count
            }
        }
        if count > 0 { signals.messagesChanged() }
    }

    /// Renews the lease of unacked deliveries to now + ``Configuration/visibilityTimeout``, in one transaction.
    /// - Throws: `CeleriacError` when the database fails.
    public func extendLeases(_ tags: [DeliveryTag]) async throws {
        guard !tags.isEmpty else { return }
        let tags = tags.map(\.rawValue)
        let leaseUntil = SQLitePath.now() + configuration.visibilityTimeout.seconds
        try await connection.perform { db in
            try db.transaction {
                for tag in tags {
                    try db.run("UPDATE celeriac_messages SET lease_until = ? WHERE tag = ? AND state = 1", [.real(leaseUntil), .text(tag)])
                }
            }
        }
    }

    /// Makes every unacked message whose lease ran out ready again, at its old place in the queue and
    /// marked redelivered. ``receive(from:limit:timeout:)`` also does this every
    /// ``Configuration/restoreInterval``.
    /// - Returns: how many messages were restored.
    /// - Throws: `CeleriacError` when the database fails.
    public func restoreExpiredLeases() async throws -> Int {
        let now = SQLitePath.now()
        let count = try await connection.perform { db in try Self.restoreExpired(db, now: now) }
        if count > 0 { reportRestored(count) }
        return count
    }

    /// Restores unacked rows whose lease ended before `now`.
    static func restoreExpired(_ db: isolated SQLiteConnection, now: Double) throws -> Int {
        try db.run(
            "UPDATE celeriac_messages SET state = 0, lease_until = NULL, redelivered = 1 WHERE state = 1 AND lease_until < ?",
            [.real(now)])
    }

    /// Deletes the ready messages of `queue` (unacked ones stay with their receivers).
    /// - Returns: how many were deleted.
    /// - Throws: `CeleriacError` when the database fails.
    public func purge(queue: String) async throws -> Int {
        try await connection.perform { db in
            try db.run("DELETE FROM celeriac_messages WHERE queue = ? AND state = 0", [.text(queue)])
        }
    }

    /// The ready and unacked message counts of every queue that holds messages, sorted by queue name.
    /// - Throws: `CeleriacError` when the database fails.
    public func queueDepths() async throws -> [QueueDepth] {
        try await connection.perform { db in
            var depths: [QueueDepth] = []
            try db.query(
                "SELECT queue, sum(state = 0), sum(state = 1) FROM celeriac_messages GROUP BY queue ORDER BY queue"
            ) { row in depths.append(QueueDepth(queue: row.text(0) ?? "", ready: row.int(1), unacked: row.int(2))) }
            return depths
        }
    }
}
