import Celeriac

/// Groups and chord joins in the SQLite file. A chord joins without Celery's polling `chord_unlock` task:
/// each header outcome is recorded in one transaction that also counts the outcomes and, when the count
/// reaches the chord's size, claims the body for the worker that recorded the last one.
extension SQLiteResultBackend {
    /// Saves a group's result tuple as Celery's `{"result": as_tuple}` JSON.
    /// - Throws: `CeleriacError` when the database fails.
    public func saveGroup(id: String, result: JSONValue) async throws {
        let json = JSONValue.object(["result": result]).serialized(.python)
        let expiresAt = configuration.resultExpires.map { SQLiteValue.real(SQLitePath.now() + $0.seconds) } ?? .null
        try await connection.perform { db in
            _ = try db.run(
                "INSERT INTO celeriac_groupmeta (group_id, meta, expires_at) VALUES (?, ?, ?) ON CONFLICT (group_id) DO UPDATE SET meta = excluded.meta, expires_at = excluded.expires_at",
                [.text(id), .text(json), expiresAt])
        }
    }

    /// The saved tuple of a group, or `nil`.
    /// - Throws: `CeleriacError` when the database fails or the saved JSON is not a group.
    public func restoreGroup(id: String) async throws -> JSONValue? {
        let stored = try await connection.perform { db in
            var bytes: [UInt8]?
            try db.query("SELECT meta FROM celeriac_groupmeta WHERE group_id = ?", [.text(id)]) { bytes = $0.blob(0) }
            return bytes
        }
        guard let stored else { return nil }
        guard let result = (try? JSONValue.parse(stored))?.objectValue?["result"] else {
            throw CeleriacError(.malformedResult, "the saved group \(id) is not Celery's group JSON")
        }
        return result
    }

    /// Deletes a saved group.
    /// - Throws: `CeleriacError` when the database fails.
    public func forgetGroup(id: String) async throws {
        try await connection.perform { db in _ = try db.run("DELETE FROM celeriac_groupmeta WHERE group_id = ?", [.text(id)]) }
    }

    /// Starts a new run of the chord `groupID` with `size` header results to join.
    /// - Throws: `CeleriacError` when the database fails.
    public func setChordSize(groupID: String, size: Int) async throws {
        let expiresAt = configuration.resultExpires.map { SQLiteValue.real(SQLitePath.now() + $0.seconds) } ?? .null
        try await connection.perform { db in
            try db.transaction {
                _ = try db.run("DELETE FROM celeriac_chord_parts WHERE group_id = ?", [.text(groupID)])
                _ = try db.run(
                    """
                    INSERT INTO celeriac_chords (group_id, size, claimed, done, expires_at) VALUES (?, ?, 0, 0, ?)
                    ON CONFLICT (group_id) DO UPDATE SET size = excluded.size, claimed = 0, done = 0, expires_at = excluded.expires_at
                    """, [.text(groupID), .integer(Int64(size)), expiresAt])
            }
        }
    }

    /// Records a header outcome once per `(task_id, index)`, in one transaction with the count and the claim.
    /// - Returns: ``ChordJoin/ready(_:claim:)`` with the outcomes in header order for the one caller that
    ///   completed the header.
    /// - Throws: `CeleriacError` when the database fails.
    public func chordPartReturn(_ part: ChordPart) async throws -> ChordJoin {
        let groupID = part.groupID
        let index = part.groupIndex.map { Double($0) } ?? Double.greatestFiniteMagnitude
        let result = part.result.serialized(.python)
        let rows: [(String, String, [UInt8])]? = try await connection.perform { db in
            try db.transaction { () throws -> [(String, String, [UInt8])]? in
                var size: Int64?
                var claimed = false
                var done = false
                var known = false
                try db.query("SELECT size, claimed, done FROM celeriac_chords WHERE group_id = ?", [.text(groupID)]) { row in
                    known = true
                    size = row.isNull(0) ? nil : row.int64(0)
                    claimed = row.int(1) != 0
                    done = row.int(2) != 0
                }
                if done { return [] }
                _ = try db.run(
                    "INSERT OR IGNORE INTO celeriac_chord_parts (group_id, task_id, idx, state, result) VALUES (?, ?, ?, ?, ?)",
                    [.text(groupID), .text(part.taskID), .real(index), .text(part.state.rawValue), .text(result)])
                if !known { _ = try db.run("INSERT OR IGNORE INTO celeriac_chords (group_id) VALUES (?)", [.text(groupID)]) }
                let count = try db.integer("SELECT COUNT(*) FROM celeriac_chord_parts WHERE group_id = ?", [.text(groupID)]) ?? 0
                guard let size, count == size, !claimed else { return nil }
                _ = try db.run("UPDATE celeriac_chords SET claimed = 1 WHERE group_id = ?", [.text(groupID)])
                var parts: [(String, String, [UInt8])] = []
                try db.query("SELECT task_id, state, result FROM celeriac_chord_parts WHERE group_id = ? ORDER BY idx, task_id", [.text(groupID)]) { row in
                    parts.append((row.text(0) ?? "", row.text(1) ?? "", row.blob(2)))
                }
                return parts
            }
        }
        guard let rows else { return .pending }
        if rows.isEmpty { return .finished }
        var parts: [ChordPart] = []
        for (offset, row) in rows.enumerated() {
            let value: JSONValue
            do {
                value = try JSONValue.parse(row.2)
            } catch {
                throw CeleriacError(.malformedResult, "a joined chord result of group \(groupID) is not JSON", taskID: row.0, underlying: error)
            }
            parts.append(ChordPart(groupID: groupID, taskID: row.0, groupIndex: offset, state: TaskState(rawValue: row.1), result: value))
        }
        return .ready(parts, claim: nil)
    }

    /// Ends the chord: after the body was sent its outcomes are deleted and late duplicates ignored; after a
    /// `ChordError` its size is dropped so a late duplicate cannot fail it again.
    /// - Throws: `CeleriacError` when the database fails.
    public func endChord(groupID: String, claim: String?, bodySent: Bool) async throws {
        try await connection.perform { db in
            try db.transaction {
                if bodySent {
                    _ = try db.run("DELETE FROM celeriac_chord_parts WHERE group_id = ?", [.text(groupID)])
                    _ = try db.run("UPDATE celeriac_chords SET done = 1 WHERE group_id = ?", [.text(groupID)])
                } else {
                    _ = try db.run("UPDATE celeriac_chords SET size = NULL WHERE group_id = ?", [.text(groupID)])
                }
            }
        }
    }
}
