import Celeriac
import Synchronization

/// A result backend that keeps results in memory, **for unit tests only**.
///
/// Like Celery's key-value backends it never overwrites a stored SUCCESS. It records every state stored
/// per task id, so a test can assert the sequence a worker went through (STARTED then SUCCESS, RETRY then
/// SUCCESS), and ``waitForReady(taskID:timeout:)`` wakes as soon as a ready state is stored, with no polling.
/// ```swift
/// let backend = InMemoryResultBackend()
/// // ... run a worker ...
/// #expect(backend.history(of: id) == [.started, .success])
/// ```
public final class InMemoryResultBackend: ResultBackend {
    /// One accepted store.
    public struct StoredResult: Sendable, Hashable {
        /// The metadata as stored.
        public var meta: ResultMeta
        /// The store's position among all events of the in-memory fakes (see ``BrokerEvent/sequence``).
        public var sequence: UInt64
        /// When it was stored.
        public var time: ContinuousClock.Instant
    }

    private struct State {
        var current: [String: ResultMeta] = [:]
        var stored: [StoredResult] = []
        var refused: [ResultMeta] = []
        var forgotten: [String] = []
        var deleteExpiredCalls = 0
        var closed = false
    }

    private let state = Mutex(State())
    private let changes = ChangeNotifier()
    private let canvas = Mutex(CanvasState())

    /// Saved groups and chord joins.
    private struct CanvasState {
        var groups: [String: JSONValue] = [:]
        var chords: [String: ChordState] = [:]
    }

    /// One chord's join: its size, the header outcomes by `task_id:index`, the dispatch claim, the end.
    private struct ChordState {
        var size: Int?
        var parts: [String: ChordPart] = [:]
        var claimed = false
        var done = false
    }

    /// Creates an empty backend.
    public init() {}

    // MARK: ResultBackend

    /// Stores a state, unless SUCCESS is already stored for the task (the refused store is recorded in
    /// ``refusedStores``).
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/closed``) after ``close()``.
    public func store(_ meta: ResultMeta) async throws {
        let now = ContinuousClock.now
        try state.withLock { state throws(CeleriacError) in
            guard !state.closed else { throw CeleriacError(.closed, "the in-memory result backend is closed") }
            if state.current[meta.taskID]?.status == .success {
                state.refused.append(meta)
                return
            }
            state.current[meta.taskID] = meta
            state.stored.append(StoredResult(meta: meta, sequence: EventSequence.next(), time: now))
        }
        changes.notify()
    }

    /// The stored state, or `nil` (PENDING).
    public func meta(for taskID: String) async throws -> ResultMeta? {
        state.withLock { $0.current[taskID] }
    }

    /// Suspends until a ready state is stored for the task or the timeout passes (`nil` waits forever).
    /// - Returns: the ready meta, or the last stored one (or `nil`) at the timeout.
    public func waitForReady(taskID: String, timeout: Duration?) async throws -> ResultMeta? {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while true {
            let version = changes.version
            let meta = state.withLock { $0.current[taskID] }
            if let meta, meta.status.isReady { return meta }
            if let deadline, ContinuousClock.now >= deadline { return meta }
            try Task.checkCancellation()
            await changes.wait(after: version, until: deadline)
        }
    }

    /// Deletes the task's result.
    public func forget(taskID: String) async throws {
        state.withLock { state in
            state.current[taskID] = nil
            state.forgotten.append(taskID)
        }
        changes.notify()
    }

    /// Counts the call; nothing expires in memory.
    /// - Returns: 0.
    public func deleteExpired() async throws -> Int {
        state.withLock { $0.deleteExpiredCalls += 1 }
        return 0
    }

    /// Marks the backend closed: further stores throw.
    public func close() async {
        state.withLock { $0.closed = true }
        changes.notify()
    }

    // MARK: Inspection

    /// Every accepted store, in order.
    public var stores: [StoredResult] { state.withLock { $0.stored } }

    /// Stores refused because SUCCESS was already stored, in order.
    public var refusedStores: [ResultMeta] { state.withLock { $0.refused } }

    /// The task ids passed to ``forget(taskID:)``.
    public var forgotten: [String] { state.withLock { $0.forgotten } }

    /// How many times ``deleteExpired()`` was called.
    public var deleteExpiredCalls: Int { state.withLock { $0.deleteExpiredCalls } }

    /// The states stored for a task, in order.
    public func history(of taskID: String) -> [TaskState] {
        state.withLock { $0.stored.filter { $0.meta.taskID == taskID }.map(\.meta.status) }
    }

    /// The metadata stored for a task, in order.
    public func metas(of taskID: String) -> [ResultMeta] {
        state.withLock { $0.stored.filter { $0.meta.taskID == taskID }.map(\.meta) }
    }

    /// The first store of `status` for a task, or `nil`.
    public func firstStore(of taskID: String, status: TaskState) -> StoredResult? {
        state.withLock { $0.stored.first { $0.meta.taskID == taskID && $0.meta.status == status } }
    }

    /// The current state synchronously, or `nil` (PENDING).
    public func current(_ taskID: String) -> ResultMeta? {
        state.withLock { $0.current[taskID] }
    }

    /// Waits until a state has been stored for the task (any state, not only ready ones).
    /// - Returns: whether `status` was stored before the timeout.
    @discardableResult
    public func waitForState(_ status: TaskState, of taskID: String, timeout: Duration = .seconds(2)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            let version = changes.version
            if firstStore(of: taskID, status: status) != nil { return true }
            if Task.isCancelled || ContinuousClock.now >= deadline { return false }
            await changes.wait(after: version, until: deadline)
        }
    }
}

// MARK: Groups and chords

extension InMemoryResultBackend {
    /// Saves a group's result tuple.
    public func saveGroup(id: String, result: JSONValue) async throws {
        canvas.withLock { $0.groups[id] = result }
        changes.notify()
    }

    /// The saved tuple of a group, or `nil`.
    public func restoreGroup(id: String) async throws -> JSONValue? {
        canvas.withLock { $0.groups[id] }
    }

    /// Deletes a saved group.
    public func forgetGroup(id: String) async throws {
        canvas.withLock { $0.groups[id] = nil }
    }

    /// Starts a new run of the chord: its size, nothing joined yet.
    public func setChordSize(groupID: String, size: Int) async throws {
        canvas.withLock { $0.chords[groupID] = ChordState(size: size) }
    }

    /// Records a header outcome once per `task_id:index`; the caller that completes the header gets the
    /// outcomes in header order, once.
    public func chordPartReturn(_ part: ChordPart) async throws -> ChordJoin {
        canvas.withLock { canvas -> ChordJoin in
            var chord = canvas.chords[part.groupID] ?? ChordState()
            guard !chord.done else { return .finished }
            let key = "\(part.taskID):\(part.groupIndex.map(String.init) ?? "+inf")"
            if chord.parts[key] == nil { chord.parts[key] = part }
            var join = ChordJoin.pending
            if let size = chord.size, chord.parts.count == size, !chord.claimed {
                chord.claimed = true
                let ordered = chord.parts.values.sorted { ($0.groupIndex ?? .max, $0.taskID) < ($1.groupIndex ?? .max, $1.taskID) }
                join = .ready(ordered, claim: nil)
            }
            canvas.chords[part.groupID] = chord
            return join
        }
    }

    /// Ends the chord: after the body was sent its join is dropped and late duplicates are ignored; after a
    /// failure the size is dropped so a late duplicate cannot fail it again.
    public func endChord(groupID: String, claim: String?, bodySent: Bool) async throws {
        canvas.withLock { canvas in
            if bodySent {
                canvas.chords[groupID] = ChordState(done: true)
            } else {
                canvas.chords[groupID]?.size = nil
            }
        }
    }

    /// The saved groups' ids, for assertions.
    public var savedGroupIDs: [String] { canvas.withLock { $0.groups.keys.sorted() } }
}
