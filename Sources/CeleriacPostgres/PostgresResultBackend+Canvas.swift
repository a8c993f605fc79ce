import Celeriac
import Foundation
import NIOCore
import PostgresNIO

/// Saved groups and chord joins.
///
/// Groups go where Python puts them: `celery_tasksetmeta` (JSON bytes of `GroupResult.as_tuple()`, naive UTC
/// `date_done`) or `django_celery_results_groupresult` (JSON text). Chords join as django-celery-results'
/// `ChordCounter` does: a row with the header's result tuples (`sub_tasks`) and a `count` that each header
/// task decrements under `SELECT ... FOR UPDATE`; the one that reaches 0 deletes the row and sends the body
/// with the header results read from the task table in header order. In Celery's layout the same row lives
/// in Celeriac's own `celeriac_chordcounter` (Celery's database backend has no counter).
extension PostgresResultBackend {
    private var groupTable: String { configuration.layout == .celery ? "celery_tasksetmeta" : "django_celery_results_groupresult" }
    private var counterTable: String { configuration.layout == .celery ? "celeriac_chordcounter" : "django_celery_results_chordcounter" }

    /// Saves a group's result tuple, replacing an earlier save of the same id.
    /// - Throws: ``CeleriacError`` when the database fails.
    public func saveGroup(id: String, result: JSONValue) async throws {
        let json = result.serialized(.python)
        switch configuration.layout {
        case .celery:
            let bytes = ByteBuffer(string: json)
            try await perform("saving a group") { client in
                try await client.exec(
                    """
                    INSERT INTO celery_tasksetmeta (id, taskset_id, result, date_done)
                    VALUES (nextval('taskset_id_sequence'), \(id), \(bytes), (now() AT TIME ZONE 'UTC'))
                    ON CONFLICT (taskset_id) DO UPDATE SET result = EXCLUDED.result, date_done = EXCLUDED.date_done
                    """)
            }
        case .django:
            let now = Self.utcText(Date())
            try await perform("saving a group") { client in
                try await client.exec(
                    """
                    INSERT INTO django_celery_results_groupresult (group_id, date_created, date_done, content_type, content_encoding, result)
                    VALUES (\(id), \(now)::timestamptz, \(now)::timestamptz, 'application/json', 'utf-8', \(json))
                    ON CONFLICT (group_id) DO UPDATE SET result = EXCLUDED.result, date_done = EXCLUDED.date_done,
                        content_type = EXCLUDED.content_type, content_encoding = EXCLUDED.content_encoding
                    """)
            }
        }
    }

    /// The saved tuple of a group, or `nil`.
    /// - Throws: ``CeleriacError`` when the database fails or the saved value is not JSON.
    public func restoreGroup(id: String) async throws -> JSONValue? {
        switch configuration.layout {
        case .celery:
            let stored: ByteBuffer?? = try await perform("restoring a group") { client in
                let rows = try await client.query("SELECT result FROM celery_tasksetmeta WHERE taskset_id = \(id)")
                var found: ByteBuffer??
                for try await (value) in rows.decode(ByteBuffer?.self) { found = .some(value) }
                return found
            }
            guard let stored else { return nil }
            return try Self.decodeStored(stored, column: "group result", taskID: id) ?? .null
        case .django:
            let stored: String?? = try await perform("restoring a group") { client in
                let rows = try await client.query("SELECT result FROM django_celery_results_groupresult WHERE group_id = \(id)")
                var found: String??
                for try await (value) in rows.decode(String?.self) { found = .some(value) }
                return found
            }
            guard let stored else { return nil }
            return try Self.decodeText(stored, column: "group result", taskID: id) ?? .null
        }
    }

    /// Deletes a saved group.
    /// - Throws: ``CeleriacError`` when the database fails.
    public func forgetGroup(id: String) async throws {
        let (table, column) = configuration.layout == .celery ? ("celery_tasksetmeta", "taskset_id") : ("django_celery_results_groupresult", "group_id")
        try await perform("deleting a group") { client in
            try await client.exec("DELETE FROM \(unescaped: table) WHERE \(unescaped: column) = \(id)")
        }
    }

    /// Starts a new run of the chord `groupID`: its counter row with `count = size` and `size` empty slots in
    /// `sub_tasks`, which the header tasks fill with their result tuples as they return.
    /// - Throws: ``CeleriacError`` when the database fails.
    public func setChordSize(groupID: String, size: Int) async throws {
        let slots = JSONValue.array(Array(repeating: .null, count: max(0, size))).serialized(.python)
        let table = counterTable
        try await perform("starting a chord") { client in
            try await client.exec(
                """
                INSERT INTO \(unescaped: table) (group_id, sub_tasks, count) VALUES (\(groupID), \(slots), \(max(0, size)))
                ON CONFLICT (group_id) DO UPDATE SET sub_tasks = EXCLUDED.sub_tasks, count = EXCLUDED.count
                """)
        }
    }

    /// Django's `on_chord_part_return`: decrements the counter in one transaction; the caller that takes it
    /// to 0 deletes the row and gets the header outcomes in header order. A part that already filled its
    /// slot (a redelivered header task) does not count twice.
    /// - Returns: ``ChordJoin/pending``, ``ChordJoin/ready(_:claim:)``, or ``ChordJoin/finished`` when no
    ///   counter exists (the chord was completed, or never started on this backend).
    /// - Throws: ``CeleriacError`` when the database fails or the counter's `sub_tasks` is not JSON.
    public func chordPartReturn(_ part: ChordPart) async throws -> ChordJoin {
        let table = counterTable
        let layout = configuration.layout
        let logger = self.logger
        let outcome: [ChordPart]?? = try await perform("joining a chord") { client in
            try await client.withTransaction(logger: Self.silent) { connection -> [ChordPart]?? in
                let rows = try await connection.query(
                    "SELECT sub_tasks, count FROM \(unescaped: table) WHERE group_id = \(part.groupID) FOR UPDATE", logger: Self.silent)
                var found: (String, Int)?
                for try await row in rows.decode((String, Int).self) { found = row }
                guard let (text, count) = found else {
                    logger.warning("no chord counter for the group: the chord already ended", metadata: ["celery.group.id": "\(part.groupID)"])
                    return .some(nil)
                }
                guard var slots = (try? JSONValue.parse(text))?.arrayValue else {
                    throw CeleriacError(.malformedResult, "the chord counter of group \(part.groupID) has no JSON sub_tasks")
                }
                let tuple: JSONValue = .array([.array([.string(part.taskID), .null]), .null])
                let ids = slots.map(Self.tupleID)
                if slots.contains(.null) {
                    if ids.contains(part.taskID) { return nil }
                    if let index = part.groupIndex, slots.indices.contains(index), slots[index] == .null {
                        slots[index] = tuple
                    } else if let free = slots.firstIndex(of: .null) {
                        slots[free] = tuple
                    }
                }
                let remaining = count - 1
                if remaining > 0 {
                    let json = JSONValue.array(slots).serialized(.python)
                    try await connection.exec(
                        "UPDATE \(unescaped: table) SET count = \(remaining), sub_tasks = \(json) WHERE group_id = \(part.groupID)")
                    return nil
                }
                try await connection.exec("DELETE FROM \(unescaped: table) WHERE group_id = \(part.groupID)")
                let order = slots.map(Self.tupleID).compactMap { $0 }
                let stored = try await Self.readOutcomes(order.filter { $0 != part.taskID }, layout: layout, on: connection)
                var parts: [ChordPart] = []
                for (index, id) in order.enumerated() {
                    if id == part.taskID {
                        parts.append(ChordPart(groupID: part.groupID, taskID: id, groupIndex: index, state: part.state, result: part.result))
                    } else if let (state, result) = stored[id] {
                        parts.append(ChordPart(groupID: part.groupID, taskID: id, groupIndex: index, state: state, result: result))
                    } else {
                        logger.warning("a chord header result is missing; joined as null", metadata: ["celery.task.id": "\(id)"])
                        parts.append(ChordPart(groupID: part.groupID, taskID: id, groupIndex: index, state: .success, result: .null))
                    }
                }
                return .some(.some(parts))
            }
        }
        switch outcome {
        case .none: return .pending
        case .some(.none): return .finished
        case .some(.some(let parts)): return .ready(parts, claim: nil)
        }
    }

    /// Nothing is left to release: the caller that completed the header already deleted the counter row in
    /// the transaction that claimed the body.
    public func endChord(groupID: String, claim: String?, bodySent: Bool) async throws {}

    /// The task id of a result tuple `[["<id>", null], null]`, or `nil` for an empty slot.
    static func tupleID(_ value: JSONValue) -> String? {
        value.arrayValue?.first?.arrayValue?.first?.stringValue
    }

    /// The stored states and results of `ids`, read on the join's connection.
    static func readOutcomes(_ ids: [String], layout: Layout, on connection: PostgresConnection) async throws -> [String: (TaskState, JSONValue)] {
        guard !ids.isEmpty else { return [:] }
        var outcomes: [String: (TaskState, JSONValue)] = [:]
        switch layout {
        case .celery:
            let rows = try await connection.query(
                "SELECT task_id, status, result FROM celery_taskmeta WHERE task_id = ANY(\(ids))", logger: silent)
            for try await (id, status, result) in rows.decode((String, String?, ByteBuffer?).self) {
                outcomes[id] = (TaskState(rawValue: status ?? "PENDING"), try decodeStored(result, column: "result", taskID: id) ?? .null)
            }
        case .django:
            let rows = try await connection.query(
                "SELECT task_id, status, result FROM django_celery_results_taskresult WHERE task_id = ANY(\(ids))", logger: silent)
            for try await (id, status, result) in rows.decode((String, String, String?).self) {
                outcomes[id] = (TaskState(rawValue: status), try decodeText(result, column: "result", taskID: id) ?? .null)
            }
        }
        return outcomes
    }
}
