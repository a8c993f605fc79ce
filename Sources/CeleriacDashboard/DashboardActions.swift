import Celeriac
import Foundation
import Logging

/// The dashboard's actions: retry a task, revoke it, purge a queue.
public struct DashboardActions: Sendable {
    /// Where a retry's name and arguments came from.
    public enum RetrySource: String, Sendable {
        /// The result backend's `result_extended` fields: the exact JSON arguments.
        case resultExtended = "result_extended"
        /// The `task-received` event's `args`/`kwargs` repr strings, read back as Python literals.
        case receivedEvent = "task-received event"
    }

    /// The app whose broker and backend the actions use.
    public let app: CeleriacApp
    /// The state the actions update.
    public let state: ClusterState

    /// Creates the actions.
    public init(app: CeleriacApp, state: ClusterState) {
        self.app = app
        self.state = state
    }

    /// Sends the task again under a new id, with its original name, arguments and queue.
    ///
    /// The arguments come from the stored result's `result_extended` fields when the backend has them (exact
    /// JSON), else from the `task-received` event's repr strings read as Python literals (refused when they
    /// are truncated or hold objects JSON cannot carry).
    /// - Returns: the new task id and where its arguments came from.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/badArguments``) when the task's name or arguments are unknown.
    public func retry(taskID: String) async throws -> (id: String, source: RetrySource) {
        var name: String?
        var args: [JSONValue]?
        var kwargs: JSONObject?
        var queue: String?
        var source = RetrySource.resultExtended
        if let backend = app.backend, let meta = try? await backend.meta(for: taskID) {
            let record = state.merge(meta)
            name = record.name
            queue = record.queue
            if let extended = meta.extended, extended.name != nil {
                (args, kwargs) = (extended.args, extended.kwargs)
            }
        }
        let record = state.task(taskID)
        name = name ?? record?.name
        queue = queue ?? record?.queue
        if args == nil, let record, let exactArgs = record.exactArgs {
            (args, kwargs) = (exactArgs, record.exactKwargs ?? [:])
        }
        if args == nil {
            guard let record, let argsText = record.args else {
                throw CeleriacError(.badArguments, "task \(taskID): its arguments are unknown (no task-received event seen and no result_extended result stored)", taskID: taskID)
            }
            args = try PythonLiteral.arguments(argsText)
            kwargs = try record.kwargs.map(PythonLiteral.keywordArguments) ?? [:]
            source = .receivedEvent
        }
        guard let name else {
            throw CeleriacError(.badArguments, "task \(taskID): its name is unknown", taskID: taskID)
        }
        var options = CallOptions()
        options.queue = queue
        let result = try await app.send(name: name, args: args ?? [], kwargs: kwargs ?? [:], options: options)
        state.noteRetry(of: taskID, as: result.id, name: name)
        app.logger.info("dashboard: retried task", metadata: ["celery.task.id": "\(taskID)", "new_id": "\(result.id)", "source": "\(source.rawValue)"])
        return (result.id, source)
    }

    /// Revokes a task: Celery's `revoke` broadcast (every worker, Python's too, discards it; `terminate`
    /// stops it if it runs), and Celeriac's shared revocation list when the broker keeps one.
    public func revoke(taskID: String, terminate: Bool) async throws {
        var done = false
        if let transport = app.broker as? any ControlTransport {
            let client = ControlClient(transport: transport)
            try await client.call("revoke", arguments: ["task_id": .string(taskID), "terminate": .bool(terminate), "signal": "SIGTERM"], reply: false)
            done = true
        }
        if app.broker is any RevocationStore {
            try await app.revoke(taskID: taskID)
            done = true
        }
        guard done else { throw CeleriacError(.brokerFailure, "this broker carries neither remote control nor a revocation list") }
    }

    /// Deletes every waiting message of `queue`.
    /// - Returns: how many were deleted.
    public func purge(queue: String) async throws -> Int {
        guard !queue.isEmpty else { throw CeleriacError(.badArguments, "no queue named") }
        return try await app.broker.purge(queue: queue)
    }
}
