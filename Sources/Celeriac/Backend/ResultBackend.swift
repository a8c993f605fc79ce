/// Where task states and return values are kept (Celery's result backend).
public protocol ResultBackend: Sendable {
    /// Stores a task's state. A stored ``TaskState/success`` is never overwritten, as in Celery.
    func store(_ meta: ResultMeta) async throws

    /// Reads a task's stored state, or `nil` when none is stored (the task is PENDING).
    func meta(for taskID: String) async throws -> ResultMeta?

    /// Waits until the task's state is ready (``TaskState/isReady``) or `timeout` passes.
    /// - Returns: the ready meta, or the last seen one (or `nil`) when the timeout passed.
    func waitForReady(taskID: String, timeout: Duration?) async throws -> ResultMeta?

    /// Deletes a task's stored result (`AsyncResult.forget()`).
    func forget(taskID: String) async throws

    /// Deletes results older than the configured expiry.
    /// - Returns: how many were deleted.
    func deleteExpired() async throws -> Int

    /// Releases connections and files.
    func close() async

    /// Saves a group's result tuple (`GroupResult.as_tuple()`), as Celery's `GroupResult.save()` does.
    func saveGroup(id: String, result: JSONValue) async throws

    /// The saved result tuple of a group, or `nil` when none is saved.
    func restoreGroup(id: String) async throws -> JSONValue?

    /// Deletes a saved group.
    func forgetGroup(id: String) async throws

    /// Records how many header results the chord of group `groupID` waits for (a new run of the chord).
    func setChordSize(groupID: String, size: Int) async throws

    /// Records one header task's outcome; atomically tells the one caller that completes the header to
    /// send the body (``ChordJoin/ready(_:claim:)``).
    func chordPartReturn(_ part: ChordPart) async throws -> ChordJoin

    /// Ends a chord after its body was sent (`bodySent`) or failed with a `ChordError`: releases the claim
    /// and removes the join's data.
    func endChord(groupID: String, claim: String?, bodySent: Bool) async throws
}

/// Groups and chord joins (Celery's `save_group`/`restore_group`, `set_chord_size` and
/// `on_chord_part_return`).
///
/// SQLite, Redis and the in-memory test backend implement these; the defaults throw, as Celery's base
/// backend does for backends without chord support.
extension ResultBackend {
    /// Saves a group's result tuple (`GroupResult.as_tuple()`), as Celery's `GroupResult.save()` does.
    public func saveGroup(id: String, result: JSONValue) async throws {
        throw CeleriacError(.backendFailure, "this result backend cannot save groups")
    }

    /// The saved result tuple of a group, or `nil` when none is saved.
    public func restoreGroup(id: String) async throws -> JSONValue? {
        throw CeleriacError(.backendFailure, "this result backend cannot restore groups")
    }

    /// Deletes a saved group.
    public func forgetGroup(id: String) async throws {
        throw CeleriacError(.backendFailure, "this result backend cannot delete groups")
    }

    /// Records how many header results the chord of group `groupID` waits for (a new run of the chord).
    public func setChordSize(groupID: String, size: Int) async throws {
        throw CeleriacError(.backendFailure, "this result backend does not support chords")
    }

    /// Records one header task's outcome; atomically tells the one caller that completes the header to
    /// send the body (``ChordJoin/ready(_:claim:)``).
    public func chordPartReturn(_ part: ChordPart) async throws -> ChordJoin {
        throw CeleriacError(.backendFailure, "this result backend does not support chords")
    }

    /// Ends a chord after its body was sent (`bodySent`) or failed with a `ChordError`: releases the claim
    /// and removes the join's data.
    public func endChord(groupID: String, claim: String?, bodySent: Bool) async throws {
        throw CeleriacError(.backendFailure, "this result backend does not support chords")
    }
}
