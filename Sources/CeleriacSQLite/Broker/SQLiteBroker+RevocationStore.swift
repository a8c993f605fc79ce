import Celeriac

extension SQLiteBroker: RevocationStore {
    /// Records revoked task ids (once each), numbered in order, and drops ids older than
    /// ``Configuration/revokedExpiry``.
    /// - Throws: `CeleriacError` when the database fails.
    public func revoke(_ taskIDs: [String]) async throws {
        guard !taskIDs.isEmpty else { return }
        let now = SQLitePath.now()
        let cutoff = configuration.revokedExpiry.map { now - $0.seconds }
        try await connection.perform { db in
            try db.transaction {
                if let cutoff { try db.run("DELETE FROM celeriac_revoked WHERE date < ?", [.real(cutoff)]) }
                for taskID in taskIDs {
                    try db.run("INSERT OR IGNORE INTO celeriac_revoked (task_id, date) VALUES (?, ?)", [.text(taskID), .real(now)])
                }
            }
        }
    }

    /// The task ids revoked after `sequence` (0 for all), oldest first, with the sequence to pass next time.
    /// - Throws: `CeleriacError` when the database fails.
    public func revokedTaskIDs(after sequence: Int64) async throws -> (ids: [String], next: Int64) {
        let result = try await connection.perform { db in
            var ids: [String] = []
            var next = sequence
            try db.query("SELECT seq, task_id FROM celeriac_revoked WHERE seq > ? ORDER BY seq", [.integer(sequence)]) { row in
                next = row.int64(0)
                if let id = row.text(1) { ids.append(id) }
            }
            return Revoked(ids: ids, next: next)
        }
        return (result.ids, result.next)
    }

    /// A Sendable carrier for the result tuple.
    private struct Revoked: Sendable {
        var ids: [String]
        var next: Int64
    }
}
