/// A handle on a task's eventual result (Celery's `AsyncResult`).
///
/// ```swift
/// let result = try await app.delay(add, AddArguments(x: 2, y: 3))
/// let sum: Int = try await result.get(timeout: .seconds(10))
/// ```
public struct AsyncResult<Output: Decodable & Sendable>: Sendable {
    /// The task id.
    public let id: String
    private let app: CeleriacApp

    /// Creates a handle on the task `id` of `app`.
    public init(id: String, app: CeleriacApp) {
        self.id = id
        self.app = app
    }

    /// The stored result metadata, or `nil` when nothing is stored yet (PENDING).
    /// - Throws: ``CeleriacError`` when no result backend is configured or it fails.
    public func meta() async throws -> ResultMeta? {
        try await app.requireBackend().meta(for: id)
    }

    /// The task's state; PENDING when nothing is stored.
    public func state() async throws -> TaskState {
        try await meta()?.status ?? .pending
    }

    /// Whether the task has finished (SUCCESS, FAILURE or REVOKED).
    public func ready() async throws -> Bool {
        try await state().isReady
    }

    /// Waits for the task to finish and returns its result.
    /// - Parameter timeout: how long to wait; `nil` waits forever.
    /// - Returns: the task's return value, decoded as `Output`.
    /// - Throws: ``TaskFailedError`` with Celery's `exc_type`, `exc_message` and traceback when the task
    ///   failed or was revoked; ``CeleriacError`` with code ``CeleriacError/Code/timeout`` when the
    ///   timeout passed, ``CeleriacError/Code/badResult`` when the result is not an `Output`.
    public func get(timeout: Duration? = nil) async throws -> Output {
        let backend = try app.requireBackend()
        guard let meta = try await backend.waitForReady(taskID: id, timeout: timeout), meta.status.isReady else {
            throw CeleriacError(.timeout, "the task did not finish within \(timeout.map { "\($0)" } ?? "the wait")", taskID: id)
        }
        return try Self.value(from: meta)
    }

    /// Decodes a ready result, or throws the task's failure.
    static func value(from meta: ResultMeta) throws -> Output {
        switch meta.status {
        case .success:
            if let value = meta.result as? Output { return value }
            do {
                return try JSONValueDecoder().decode(Output.self, from: meta.result)
            } catch {
                throw CeleriacError(.badResult, "the result is not a \(Output.self): \(meta.result.serialized(.compact))", taskID: meta.taskID, underlying: error)
            }
        default:
            let error = TaskError(json: meta.result) ?? TaskError(excType: "Exception", excMessage: [meta.result])
            throw TaskFailedError(taskID: meta.taskID, state: meta.status, error: error, traceback: meta.traceback)
        }
    }

    /// Deletes the stored result (Celery's `forget()`).
    public func forget() async throws {
        try await app.requireBackend().forget(taskID: id)
    }

    /// Revokes the task: workers will not run it (Celery's `revoke()`); see ``CeleriacApp/revoke(taskID:)``.
    /// Nothing is written to the result backend by the caller: the state becomes REVOKED when a worker
    /// discards the task, and a task already running is not stopped.
    public func revoke() async throws {
        try await app.revoke(taskID: id)
    }
}
