import Celeriac

/// What the dashboard knows about one task: merged from its events and its stored result.
public struct TaskRecord: Sendable, Hashable {
    /// One step of the task's life, for the detail view's timeline.
    public struct Step: Sendable, Hashable {
        /// The event type (`task-received`, ...) or `stored` for a state read from the result backend.
        public var type: String
        /// When it happened (epoch seconds).
        public var timestamp: Double
        /// The node that reported it.
        public var hostname: String?
    }

    /// The task id.
    public var id: String
    /// The task name, when known.
    public var name: String?
    /// Celery's state name: PENDING, RECEIVED, STARTED, SUCCESS, FAILURE, RETRY, REVOKED, REJECTED.
    public var state: String
    /// The positional arguments as shown (Python repr text from events, JSON from extended results).
    public var args: String?
    /// The keyword arguments as shown.
    public var kwargs: String?
    /// The exact JSON arguments, when the result backend stores them (`result_extended`).
    public var exactArgs: [JSONValue]?
    /// The exact JSON keyword arguments, when the result backend stores them.
    public var exactKwargs: JSONObject?
    /// The result as shown (repr or JSON text).
    public var result: String?
    /// The exception's repr, for failures and retries.
    public var exception: String?
    /// The traceback text.
    public var traceback: String?
    /// The node that ran it.
    public var worker: String?
    /// How many times it was retried.
    public var retries: Int = 0
    /// The queue it was delivered from, when known.
    public var queue: String?
    /// The workflow's root task id.
    public var rootID: String?
    /// The task that sent it.
    public var parentID: String?
    /// When it was received, started and finished (epoch seconds).
    public var received: Double?
    /// When it started.
    public var started: Double?
    /// When it finished.
    public var finished: Double?
    /// The run time in seconds reported by the worker.
    public var runtime: Double?
    /// The task's steps in order.
    public var timeline: [Step] = []
    /// The id of the copy the dashboard sent when this task was retried from the page.
    public var retriedAs: String?
    /// The id of the task this one is a dashboard retry of.
    public var retryOf: String?
    /// When the record last changed (epoch seconds), for ordering and eviction.
    public var updated: Double

    /// Creates an empty record.
    public init(id: String, state: String = "PENDING", updated: Double) {
        self.id = id
        self.state = state
        self.updated = updated
    }

    /// Whether the state is final (SUCCESS, FAILURE, REVOKED).
    public var isReady: Bool { TaskRecord.readyStates.contains(state) }

    static let readyStates: Set<String> = ["SUCCESS", "FAILURE", "REVOKED"]

    /// The fields the task list shows.
    public func summaryJSON() -> JSONValue {
        .object([
            "id": .string(id), "name": name.map(JSONValue.string) ?? .null, "state": .string(state),
            "args": args.map(JSONValue.string) ?? .null, "kwargs": kwargs.map(JSONValue.string) ?? .null,
            "result": result.map(JSONValue.string) ?? .null, "exception": exception.map(JSONValue.string) ?? .null,
            "worker": worker.map(JSONValue.string) ?? .null, "retries": .int(retries),
            "received": received.map(JSONValue.double) ?? .null, "started": started.map(JSONValue.double) ?? .null,
            "finished": finished.map(JSONValue.double) ?? .null, "runtime": runtime.map(JSONValue.double) ?? .null,
            "retried_as": retriedAs.map(JSONValue.string) ?? .null, "retry_of": retryOf.map(JSONValue.string) ?? .null,
            "updated": .double(updated),
        ])
    }

    /// Everything, for the detail view.
    public func detailJSON() -> JSONValue {
        guard case .object(var object) = summaryJSON() else { return .null }
        object["traceback"] = traceback.map(JSONValue.string) ?? .null
        object["queue"] = queue.map(JSONValue.string) ?? .null
        object["root_id"] = rootID.map(JSONValue.string) ?? .null
        object["parent_id"] = parentID.map(JSONValue.string) ?? .null
        object["retryable"] = .bool(name != nil)
        object["timeline"] = .array(timeline.map { step in
            .object(["type": .string(step.type), "timestamp": .double(step.timestamp), "hostname": step.hostname.map(JSONValue.string) ?? .null])
        })
        return .object(object)
    }
}
