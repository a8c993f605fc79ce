/// A task's stored result, in Celery's result metadata shape (`Backend._get_result_meta`).
///
/// ``json()`` writes the keys in Celery's order: `status, result, traceback, children, date_done,
/// [group_id], [parent_id], [name, args, kwargs, worker, retries, queue], task_id`.
public struct ResultMeta: Sendable, Hashable {
    /// The task id.
    public var taskID: String
    /// The state.
    public var status: TaskState
    /// The return value (SUCCESS), the exception dict (FAILURE, RETRY, REVOKED) or STARTED's info.
    public var result: JSONValue
    /// The traceback text, for failures that have one.
    public var traceback: String?
    /// Result tuples of the task's children (`[[["<id>", null], null], ...]`).
    public var children: [JSONValue]
    /// When the task finished, as Celery's ISO text; `nil` unless the state is ready.
    public var dateDone: String?
    /// The group the task belongs to.
    public var groupID: String?
    /// The task that sent this one.
    public var parentID: String?
    /// Extended fields (`result_extended`), `nil` when not stored.
    public var extended: Extended?

    /// The fields Celery adds with `result_extended = True`.
    public struct Extended: Sendable, Hashable {
        /// The task name.
        public var name: String?
        /// The positional arguments.
        public var args: [JSONValue]
        /// The keyword arguments.
        public var kwargs: JSONObject
        /// The worker's node name.
        public var worker: String?
        /// How many times the task was retried.
        public var retries: Int
        /// The queue (the delivery routing key).
        public var queue: String?
        /// The `periodic_task_name` header that beat schedulers stamp on the tasks they send (django-celery-results
        /// stores it); not part of Celery's own result meta.
        public var periodicTaskName: String?

        /// Adds Celery's extended keys (`name`, `args`, `kwargs`, `worker`, `retries`, `queue`) to `object`, in
        /// Celery's order; `periodicTaskName` is not one of them.
        public func write(into object: inout JSONObject) {
            object["name"] = name.map(JSONValue.string) ?? .null
            object["args"] = .array(args)
            object["kwargs"] = .object(kwargs)
            object["worker"] = worker.map(JSONValue.string) ?? .null
            object["retries"] = .int(retries)
            object["queue"] = queue.map(JSONValue.string) ?? .null
        }

        /// Creates the extended fields.
        public init(
            name: String?, args: [JSONValue], kwargs: JSONObject, worker: String?, retries: Int, queue: String?,
            periodicTaskName: String? = nil
        ) {
            self.periodicTaskName = periodicTaskName
            self.name = name
            self.args = args
            self.kwargs = kwargs
            self.worker = worker
            self.retries = retries
            self.queue = queue
        }
    }

    /// Creates result metadata.
    public init(
        taskID: String, status: TaskState, result: JSONValue = .null, traceback: String? = nil,
        children: [JSONValue] = [], dateDone: String? = nil, groupID: String? = nil, parentID: String? = nil,
        extended: Extended? = nil
    ) {
        self.taskID = taskID
        self.status = status
        self.result = result
        self.traceback = traceback
        self.children = children
        self.dateDone = dateDone
        self.groupID = groupID
        self.parentID = parentID
        self.extended = extended
    }

    /// The metadata as Celery's JSON object, keys in Celery's order.
    public func json() -> JSONObject {
        var object: JSONObject = [
            "status": .string(status.rawValue),
            "result": result,
            "traceback": traceback.map(JSONValue.string) ?? .null,
            "children": .array(children),
            "date_done": dateDone.map(JSONValue.string) ?? .null,
        ]
        if let groupID { object["group_id"] = .string(groupID) }
        if let parentID { object["parent_id"] = .string(parentID) }
        extended?.write(into: &object)
        object["task_id"] = .string(taskID)
        return object
    }

    /// Reads Celery's JSON result metadata.
    /// - Throws: ``CeleriacError`` with code ``CeleriacError/Code/malformedResult`` when `status` or `task_id` is missing.
    public init(json object: JSONObject) throws {
        guard let status = object["status"]?.stringValue else {
            throw CeleriacError(.malformedResult, "result metadata has no 'status'")
        }
        guard let taskID = object["task_id"]?.stringValue else {
            throw CeleriacError(.malformedResult, "result metadata has no 'task_id'")
        }
        self.taskID = taskID
        self.status = TaskState(rawValue: status)
        self.result = object["result"] ?? .null
        self.traceback = object["traceback"]?.stringValue
        self.children = object["children"]?.arrayValue ?? []
        self.dateDone = object["date_done"]?.stringValue
        self.groupID = object["group_id"]?.stringValue
        self.parentID = object["parent_id"]?.stringValue
        if object["name"] != nil || object["worker"] != nil {
            self.extended = Extended(
                name: object["name"]?.stringValue, args: object["args"]?.arrayValue ?? [],
                kwargs: object["kwargs"]?.objectValue ?? [:], worker: object["worker"]?.stringValue,
                retries: object["retries"]?.intValue ?? 0, queue: object["queue"]?.stringValue)
        } else {
            self.extended = nil
        }
    }
}
