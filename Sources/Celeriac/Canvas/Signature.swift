/// A task call that can be passed around: Celery's signature, in its own dict form
/// (`{"task", "args", "kwargs", "options", "subtask_type", "immutable"}`).
///
/// Used for `link` and `link_error` callbacks; callbacks get the parent's result prepended to their
/// arguments unless ``immutable`` is set (Celery's `.si()`).
public struct Signature: Sendable, Hashable {
    /// The task name.
    public var task: String
    /// Positional arguments.
    public var args: [JSONValue]
    /// Keyword arguments.
    public var kwargs: JSONObject
    /// Call options (`queue`, `task_id`, `priority`, ...), as Celery names them.
    public var options: JSONObject
    /// `nil` for a plain task; `"chain"`, `"group"`, `"chord"` for canvas primitives.
    public var subtaskType: String?
    /// Whether the parent's result is not prepended to the arguments.
    public var immutable: Bool

    /// Creates a signature for a task by name.
    public init(task: String, args: [JSONValue] = [], kwargs: JSONObject = [:], options: JSONObject = [:], subtaskType: String? = nil, immutable: Bool = false) {
        self.task = task
        self.args = args
        self.kwargs = kwargs
        self.options = options
        self.subtaskType = subtaskType
        self.immutable = immutable
    }

    /// Creates a signature for a typed task with partial arguments.
    public init<A, O>(_ task: TaskName<A, O>, args: [JSONValue] = [], kwargs: JSONObject = [:], immutable: Bool = false) {
        self.init(task: task.name, args: args, kwargs: kwargs, immutable: immutable)
    }

    /// Celery's dict form.
    public func json() -> JSONValue {
        .object([
            "task": .string(task), "args": .array(args), "kwargs": .object(kwargs), "options": .object(options),
            "subtask_type": subtaskType.map(JSONValue.string) ?? .null, "immutable": .bool(immutable),
        ])
    }

    /// Reads Celery's dict form.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/malformedMessage``) when `task` is missing.
    public init(json value: JSONValue) throws {
        guard let object = value.objectValue, let task = object["task"]?.stringValue else {
            throw CeleriacError(.malformedMessage, "a signature must be an object with a 'task' name")
        }
        self.task = task
        self.args = object["args"]?.arrayValue ?? []
        self.kwargs = object["kwargs"]?.objectValue ?? [:]
        self.options = object["options"]?.objectValue ?? [:]
        self.subtaskType = object["subtask_type"]?.stringValue
        self.immutable = object["immutable"]?.boolValue ?? false
    }
}
