import Foundation

/// One Celery event (`celery/events/event.py`): a flat JSON object with `type`, `hostname`, `utcoffset`,
/// `pid`, `clock`, `timestamp` and the fields of its kind, as monitors such as Flower read them.
public struct CeleryEvent: Sendable, Hashable {
    /// The event's fields, including `type`.
    public var fields: JSONObject

    /// Creates an event from its fields.
    public init(fields: JSONObject) {
        self.fields = fields
    }

    /// Creates an event of `type` with kind-specific fields; ``EventDispatcher`` adds the common ones.
    public init(type: String, _ fields: JSONObject = [:]) {
        var all = fields
        all["type"] = .string(type)
        self.fields = all
    }

    /// `task-succeeded`, `worker-heartbeat`, ...
    public var type: String { fields["type"]?.stringValue ?? "" }
    /// The node that sent it.
    public var hostname: String? { fields["hostname"]?.stringValue }
    /// The task id of a task event.
    public var uuid: String? { fields["uuid"]?.stringValue }
    /// The epoch time it was sent.
    public var timestamp: Double? { fields["timestamp"]?.doubleValue }

    /// The routing key Celery publishes it with: the type with `-` replaced by `.` (`task.succeeded`).
    public var routingKey: String { type.replacingOccurrences(of: "-", with: ".") }

    /// Whether it is one of the `task-*` events that `-E` / `enable_events` switch on.
    public var isTaskEvent: Bool { type.hasPrefix("task-") }
}

extension CeleryEvent {
    /// `task-received`, with Celery's fields (`worker/strategy.py`): args and kwargs as their repr strings.
    public static func taskReceived(_ message: TaskMessage) -> CeleryEvent {
        let headers = message.headers
        return CeleryEvent(type: "task-received", [
            "uuid": .string(headers.id), "name": .string(headers.task),
            "args": .string(headers.argsrepr ?? JSONValue.pythonArgsRepr(message.args)),
            "kwargs": .string(headers.kwargsrepr ?? JSONValue.pythonKwargsRepr(message.kwargs)),
            "root_id": headers.rootID.map(JSONValue.string) ?? .null, "parent_id": headers.parentID.map(JSONValue.string) ?? .null,
            "retries": .int(headers.retries), "eta": headers.eta.map(JSONValue.string) ?? .null,
            "expires": headers.expires.map(JSONValue.string) ?? .null,
        ])
    }

    /// `task-started`.
    public static func taskStarted(id: String) -> CeleryEvent {
        CeleryEvent(type: "task-started", ["uuid": .string(id)])
    }

    /// `task-succeeded`: the result as its Python repr string, and the run time in seconds.
    public static func taskSucceeded(id: String, result: JSONValue, runtime: Double) -> CeleryEvent {
        CeleryEvent(type: "task-succeeded", ["uuid": .string(id), "result": .string(result.pythonSafeRepr()), "runtime": .double(runtime)])
    }

    /// `task-failed`: the exception as its repr (`ValueError('boom')`) and the traceback text.
    public static func taskFailed(id: String, error: TaskError, traceback: String?) -> CeleryEvent {
        CeleryEvent(type: "task-failed", [
            "uuid": .string(id), "exception": .string(error.description), "traceback": traceback.map(JSONValue.string) ?? .null,
        ])
    }

    /// `task-retried`: the reason as its repr and the traceback text.
    public static func taskRetried(id: String, error: TaskError, traceback: String?) -> CeleryEvent {
        CeleryEvent(type: "task-retried", [
            "uuid": .string(id), "exception": .string(error.description), "traceback": traceback.map(JSONValue.string) ?? .null,
        ])
    }

    /// `task-revoked`.
    public static func taskRevoked(id: String, terminated: Bool = false, expired: Bool = false) -> CeleryEvent {
        CeleryEvent(type: "task-revoked", [
            "uuid": .string(id), "terminated": .bool(terminated), "signum": .null, "expired": .bool(expired),
        ])
    }

    /// `task-rejected`.
    public static func taskRejected(id: String, requeue: Bool) -> CeleryEvent {
        CeleryEvent(type: "task-rejected", ["uuid": .string(id), "requeue": .bool(requeue)])
    }
}
