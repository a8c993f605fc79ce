/// One chord header task's outcome, as the worker hands it to the result backend's join.
public struct ChordPart: Sendable, Hashable {
    /// The chord's group id (the header task's `group` header).
    public var groupID: String
    /// The header task's id.
    public var taskID: String
    /// Its position in the header (`group_index`), `nil` when unknown (sorted last, as Celery's `+inf`).
    public var groupIndex: Int?
    /// Its final state (SUCCESS, FAILURE or REVOKED).
    public var state: TaskState
    /// Its return value, or Celery's exception dict.
    public var result: JSONValue

    /// Creates a part.
    public init(groupID: String, taskID: String, groupIndex: Int?, state: TaskState, result: JSONValue) {
        self.groupID = groupID
        self.taskID = taskID
        self.groupIndex = groupIndex
        self.state = state
        self.result = result
    }

    /// Celery's encoding of a part in the join (`[1, task_id, state, result]`).
    public var joinEntry: JSONValue {
        .array([.int(1), .string(taskID), .string(state.rawValue), result])
    }

    /// Reads Celery's join entry `[1, task_id, state, result]`.
    public init?(groupID: String, joinEntry value: JSONValue, groupIndex: Int? = nil) {
        guard let items = value.arrayValue, items.count >= 4, let id = items[1].stringValue, let state = items[2].stringValue else { return nil }
        self.init(groupID: groupID, taskID: id, groupIndex: groupIndex, state: TaskState(rawValue: state), result: items[3])
    }

    /// Whether this outcome fails the chord (Celery's `PROPAGATE_STATES`: FAILURE and REVOKED).
    public var propagates: Bool { state == .failure || state == .revoked }
}

/// What a chord join says after a header task returned.
public enum ChordJoin: Sendable, Hashable {
    /// More header results are to come (or the size is not known yet).
    case pending
    /// This caller completed the header and owns the body: the header outcomes in header order, and the
    /// backend's claim token to pass to ``ResultBackend/endChord(groupID:claim:bodySent:)``.
    case ready([ChordPart], claim: String?)
    /// The chord already ended: a late duplicate of a header task.
    case finished
}
