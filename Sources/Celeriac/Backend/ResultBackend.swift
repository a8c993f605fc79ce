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
}
