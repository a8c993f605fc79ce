import Celeriac
import Hummingbird

/// A task's state as JSON, in the words of Celery's `AsyncResult`: `task_id`, `state`, `ready`,
/// `successful`, `result`, `traceback`, `date_done`, plus `error` for failures and what the backend stores
/// beyond that (`name`, `args`, `kwargs`, `worker`, `retries`, `queue` with `result_extended`; `group_id`,
/// `parent_id`, `children`).
///
/// ```json
/// {"task_id":"5d3c...","state":"SUCCESS","ready":true,"successful":true,"result":5,"traceback":null,"date_done":"2026-11-26T10:00:00.123456+00:00"}
/// {"task_id":"8a1f...","state":"FAILURE","ready":true,"successful":false,"result":{"exc_type":"ValueError","exc_message":["boom"],"exc_module":"builtins"},
///  "error":{"type":"ValueError","message":"boom","repr":"ValueError('boom')"},"traceback":"Traceback ...","date_done":"..."}
/// ```
/// A task the backend knows nothing about is `PENDING`, as in Celery (which never stores PENDING).
public struct TaskStatus: ResponseGenerator, Sendable, Hashable {
    /// The task id.
    public var taskID: String
    /// The stored metadata, `nil` when nothing is stored (PENDING).
    public var meta: ResultMeta?

    /// Creates the status of `taskID` from what the backend stores.
    public init(taskID: String, meta: ResultMeta?) {
        self.taskID = taskID
        self.meta = meta
    }

    /// Reads the status of `taskID` from `app`'s result backend, waiting up to `wait` for it to be ready.
    /// - Throws: ``CeleriacError`` when no backend is configured or it fails.
    public static func fetch(_ taskID: String, app: CeleriacApp, wait: Duration? = nil) async throws -> TaskStatus {
        guard let backend = app.backend else {
            throw CeleriacError(.invalidConfiguration, "no result backend is configured (set --result-backend or CELERY_RESULT_BACKEND)")
        }
        let meta: ResultMeta?
        if let wait, wait > .zero {
            meta = try await backend.waitForReady(taskID: taskID, timeout: wait)
        } else {
            meta = try await backend.meta(for: taskID)
        }
        return TaskStatus(taskID: taskID, meta: meta)
    }

    /// The state; PENDING when nothing is stored.
    public var state: TaskState { meta?.status ?? .pending }

    /// The JSON object.
    public func json() -> JSONObject {
        var object: JSONObject = [
            "task_id": .string(taskID),
            "state": .string(state.rawValue),
            "ready": .bool(state.isReady),
            "successful": .bool(state == .success),
            "result": meta?.result ?? .null,
        ]
        if let meta, meta.status != .success, let error = TaskError(json: meta.result) {
            let message = error.excMessage.count == 1 ? (error.excMessage[0].stringValue ?? error.excMessage[0].pythonRepr()) : error.excMessage.map { $0.pythonRepr() }.joined(separator: ", ")
            let summary: JSONObject = ["type": .string(error.excType), "module": .string(error.excModule), "message": .string(message), "repr": .string(error.description)]
            object["error"] = .object(summary)
        }
        object["traceback"] = meta?.traceback.map(JSONValue.string) ?? .null
        object["date_done"] = meta?.dateDone.map(JSONValue.string) ?? .null
        guard let meta else { return object }
        if let groupID = meta.groupID { object["group_id"] = .string(groupID) }
        if let parentID = meta.parentID { object["parent_id"] = .string(parentID) }
        if !meta.children.isEmpty { object["children"] = .array(meta.children) }
        meta.extended?.write(into: &object)
        return object
    }

    /// A 200 response with ``json()``.
    public func response(from request: Request, context: some RequestContext) -> Response {
        JSONResponse(json()).response(from: request, context: context)
    }
}

/// The answer to a task sent over HTTP: `202 Accepted`, `Location` the task's status URL, and
/// `{"task_id": ..., "state": "PENDING", "status_url": ...}`.
public struct TaskSubmission: ResponseGenerator, Sendable, Hashable {
    /// The task id.
    public var taskID: String
    /// Where the task's state is read (`/tasks/<id>`), or `nil` for none.
    public var statusURL: String?

    /// Creates the answer for `taskID`; `statusPath` is the prefix of the status route (`/tasks` by default).
    public init(taskID: String, statusPath: String? = "/tasks") {
        self.taskID = taskID
        self.statusURL = statusPath.map { Self.join($0, taskID) }
    }

    private static func join(_ path: String, _ id: String) -> String {
        (path.hasSuffix("/") ? path : path + "/") + id
    }

    /// The JSON object.
    public func json() -> JSONObject {
        var object: JSONObject = ["task_id": .string(taskID), "state": .string(TaskState.pending.rawValue)]
        if let statusURL { object["status_url"] = .string(statusURL) }
        return object
    }

    /// A 202 response with ``json()`` and a `Location` header.
    public func response(from request: Request, context: some RequestContext) -> Response {
        var headers: HTTPFields = [:]
        if let statusURL { headers[.location] = statusURL }
        return JSONResponse(json(), status: .accepted, headers: headers).response(from: request, context: context)
    }
}
