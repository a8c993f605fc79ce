/// A task call that can be passed around: Celery's signature, in its own dict form
/// (`{"task", "args", "kwargs", "options", "subtask_type", "immutable"}`, plus `chord_size` when set).
///
/// A plain task has no ``subtaskType``; canvas primitives are signatures too, as in Celery: a chain is
/// `celery.chain` with `kwargs.tasks`, a group `celery.group` with `kwargs.tasks`, a chord `celery.chord` with
/// `kwargs.header` (a group) and `kwargs.body`. Callbacks (`link`) get the parent's result prepended to their
/// arguments unless ``immutable`` is set (Celery's `.si()`).
public struct Signature: Sendable, Hashable {
    /// The task name.
    public var task: String
    /// Positional arguments (partial: arguments given when the signature is applied come first).
    public var args: [JSONValue]
    /// Keyword arguments (merged with those given when applied; those win).
    public var kwargs: JSONObject
    /// Call options (`queue`, `task_id`, `priority`, ...), as Celery names them.
    public var options: JSONObject
    /// `nil` for a plain task; `"chain"`, `"group"`, `"chord"` for canvas primitives.
    public var subtaskType: String?
    /// Whether arguments given when the signature is applied (a parent's result) are ignored.
    public var immutable: Bool
    /// How many header results a chord waits for, when Celery wrote it (`chord_size`).
    public var chordSize: Int?

    /// Creates a signature for a task by name.
    public init(
        task: String, args: [JSONValue] = [], kwargs: JSONObject = [:], options: JSONObject = [:], subtaskType: String? = nil,
        immutable: Bool = false, chordSize: Int? = nil
    ) {
        self.task = task
        self.args = args
        self.kwargs = kwargs
        self.options = options
        self.subtaskType = subtaskType
        self.immutable = immutable
        self.chordSize = chordSize
    }

    /// Creates a signature for a typed task with partial arguments.
    public init<A, O>(_ task: TaskName<A, O>, args: [JSONValue] = [], kwargs: JSONObject = [:], immutable: Bool = false) {
        self.init(task: task.name, args: args, kwargs: kwargs, immutable: immutable)
    }

    /// The task id (`options.task_id`), once frozen or set.
    public var id: String? {
        get { options["task_id"]?.stringValue }
        set { options["task_id"] = newValue.map(JSONValue.string) }
    }

    /// Celery's dict form, keys in Celery's order.
    public func json() -> JSONValue {
        var object: JSONObject = [
            "task": .string(task), "args": .array(args), "kwargs": .object(kwargs), "options": .object(options),
            "subtask_type": subtaskType.map(JSONValue.string) ?? .null, "immutable": .bool(immutable),
        ]
        if let chordSize { object["chord_size"] = .int(chordSize) }
        return .object(object)
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
        self.chordSize = object["chord_size"]?.intValue
    }

    /// Options a later merge cannot change once set (Celery's `_IMMUTABLE_OPTIONS`).
    static let immutableOptions: Set<String> = ["group_id", "stamped_headers"]

    /// Merges call-time arguments and options into the signature, as Celery's `Signature._merge` does:
    /// `args` go before the signature's own (partial) args, `kwargs` are merged with the call's winning,
    /// options are merged with the call's winning except `group_id` once set. An immutable signature keeps
    /// its arguments and takes only the options.
    public func merged(args: [JSONValue] = [], kwargs: JSONObject = [:], options: JSONObject = [:]) -> Signature {
        var copy = self
        for (key, value) in options where !(Self.immutableOptions.contains(key) && self.options[key] != nil) {
            copy.options[key] = value
        }
        guard !immutable else { return copy }
        copy.args = args + self.args
        for (key, value) in kwargs { copy.kwargs[key] = value }
        return copy
    }

    /// A copy with one option set (Celery's `.set(key=value)`).
    public func setting(_ key: String, _ value: JSONValue) -> Signature {
        var copy = self
        copy.options[key] = value
        return copy
    }

    /// A copy that ignores the arguments given when applied (Celery's `.si()` / `set_immutable(True)`).
    public func asImmutable() -> Signature {
        var copy = self
        copy.immutable = true
        return copy
    }
}
