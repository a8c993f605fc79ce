import Celeriac
import Foundation

/// A request to send a task by name, read from JSON (the body of `POST /tasks`): Celery's
/// `send_task(name, args, kwargs, **options)` as an object.
///
/// ```json
/// {"task": "tasks.add", "args": [2, 3], "kwargs": {}, "options": {"countdown": 10, "queue": "celery"}}
/// ```
/// Options: `countdown` (seconds), `eta` (ISO 8601), `expires` (seconds or ISO 8601), `queue`, `priority`
/// (0-9), `task_id`, `headers` (object), `ignore_result`, `time_limit`, `soft_time_limit`, `shadow`.
/// Unknown keys are refused, so a typo (`"kwarg"`) is an error instead of a task run without its arguments.
public struct TaskSendRequest: Sendable {
    /// The task name.
    public var task: String
    /// Positional arguments.
    public var args: [JSONValue]
    /// Keyword arguments.
    public var kwargs: JSONObject
    /// Call options.
    public var options: CallOptions

    /// Why a request was refused; the message says what to fix.
    public struct Invalid: Error, Sendable, Hashable, CustomStringConvertible {
        /// What is wrong.
        public var message: String
        /// Creates the error.
        public init(_ message: String) { self.message = message }
        /// The message.
        public var description: String { message }
    }

    /// The keys of the request object.
    public static let keys: Set<String> = ["task", "args", "kwargs", "options"]
    /// The keys of `options`.
    public static let optionKeys: [String] = [
        "countdown", "eta", "expires", "queue", "priority", "task_id", "headers", "ignore_result", "time_limit", "soft_time_limit", "shadow",
    ]

    /// Creates a request.
    public init(task: String, args: [JSONValue] = [], kwargs: JSONObject = [:], options: CallOptions = CallOptions()) {
        self.task = task
        self.args = args
        self.kwargs = kwargs
        self.options = options
    }

    /// Reads a request; `task` comes from the body unless `task` is given (a route with the name in its path).
    /// - Throws: ``Invalid`` naming the field that is missing or of the wrong type.
    public init(json value: JSONValue, task: String? = nil) throws(Invalid) {
        guard let object = value.objectValue else {
            throw Invalid("the body must be a JSON object like {\"task\": \"tasks.add\", \"args\": [2, 3]}")
        }
        if let unknown = object.keys.first(where: { !Self.keys.contains($0) }) {
            throw Invalid("unknown field '\(unknown)': expected \(Self.keys.sorted().joined(separator: ", "))")
        }
        let name: String
        if let task {
            name = task
        } else {
            guard let given = object["task"] else { throw Invalid("'task' is missing: the name of the task to run, e.g. \"tasks.add\"") }
            guard let text = given.stringValue else { throw Invalid("'task' must be a string, not \(given.serialized(.compact))") }
            name = text
        }
        try Self.checkName(name)
        var args: [JSONValue] = []
        if let given = object["args"], !given.isNull {
            guard let array = given.arrayValue else { throw Invalid("'args' must be an array of positional arguments, not \(given.serialized(.compact))") }
            args = array
        }
        var kwargs: JSONObject = [:]
        if let given = object["kwargs"], !given.isNull {
            guard let dictionary = given.objectValue else { throw Invalid("'kwargs' must be an object of keyword arguments, not \(given.serialized(.compact))") }
            kwargs = dictionary
        }
        var options = CallOptions()
        if let given = object["options"], !given.isNull {
            guard let dictionary = given.objectValue else { throw Invalid("'options' must be an object, not \(given.serialized(.compact))") }
            options = try Self.callOptions(dictionary)
        }
        self.init(task: name, args: args, kwargs: kwargs, options: options)
    }

    /// Checks a task name: not empty, at most 255 characters, no spaces or control characters.
    public static func checkName(_ name: String) throws(Invalid) {
        guard !name.isEmpty else { throw Invalid("the task name is empty") }
        guard name.count <= 255 else { throw Invalid("the task name is longer than 255 characters") }
        guard !name.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7f }) else {
            throw Invalid("the task name \(JSONValue.string(name).serialized(.compact)) contains spaces or control characters")
        }
    }

    private static func callOptions(_ object: JSONObject) throws(Invalid) -> CallOptions {
        if let unknown = object.keys.first(where: { !optionKeys.contains($0) }) {
            throw Invalid("unknown option '\(unknown)': expected one of \(optionKeys.joined(separator: ", "))")
        }
        var options = CallOptions()
        options.countdown = try number(object, "countdown", minimum: 0)
        if let text = try string(object, "eta") {
            guard let date = CeleryTimestamp.parse(text) else { throw Invalid("option 'eta' must be an ISO 8601 time like 2026-01-31T12:00:00+00:00, not \(text)") }
            options.eta = date
        }
        if let given = object["expires"], !given.isNull {
            if let seconds = given.doubleValue {
                guard seconds.isFinite else { throw Invalid("option 'expires' must be a finite number of seconds") }
                options.expires = .seconds(seconds)
            } else if let text = given.stringValue, let date = CeleryTimestamp.parse(text) {
                options.expires = .date(date)
            } else {
                throw Invalid("option 'expires' must be seconds or an ISO 8601 time, not \(given.serialized(.compact))")
            }
        }
        options.queue = try string(object, "queue")
        if options.queue?.isEmpty == true { throw Invalid("option 'queue' is empty") }
        if let given = object["priority"], !given.isNull {
            guard let priority = given.intValue, (0...9).contains(priority) else { throw Invalid("option 'priority' must be an integer from 0 to 9, not \(given.serialized(.compact))") }
            options.priority = priority
        }
        if let id = try string(object, "task_id") {
            guard !id.isEmpty, id.count <= 255 else { throw Invalid("option 'task_id' must be 1 to 255 characters") }
            options.taskID = id
        }
        if let given = object["headers"], !given.isNull {
            guard let headers = given.objectValue else { throw Invalid("option 'headers' must be an object, not \(given.serialized(.compact))") }
            options.headers = headers
        }
        if let given = object["ignore_result"], !given.isNull {
            guard let flag = given.boolValue else { throw Invalid("option 'ignore_result' must be true or false, not \(given.serialized(.compact))") }
            options.ignoreResult = flag
        }
        options.timeLimit = try number(object, "time_limit", minimum: 0, exclusive: true)
        options.softTimeLimit = try number(object, "soft_time_limit", minimum: 0, exclusive: true)
        options.shadow = try string(object, "shadow")
        return options
    }

    private static func number(_ object: JSONObject, _ key: String, minimum: Double, exclusive: Bool = false) throws(Invalid) -> Double? {
        guard let given = object[key], !given.isNull else { return nil }
        guard let value = given.doubleValue, value.isFinite, exclusive ? value > minimum : value >= minimum else {
            throw Invalid("option '\(key)' must be a number \(exclusive ? "above" : "of at least") \(Int(minimum)), not \(given.serialized(.compact))")
        }
        return value
    }

    private static func string(_ object: JSONObject, _ key: String) throws(Invalid) -> String? {
        guard let given = object[key], !given.isNull else { return nil }
        guard let text = given.stringValue else { throw Invalid("option '\(key)' must be a string, not \(given.serialized(.compact))") }
        return text
    }
}
