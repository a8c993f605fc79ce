/// An error a task raises that Python understands: it is stored as Celery's exception dict
/// (`exc_type`, `exc_module`, `exc_message`), so a Python client's `.get()` raises the same exception.
///
/// ```swift
/// throw TaskError.valueError("boom")   // Python: ValueError('boom')
/// ```
public struct TaskError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The exception class name (`"ValueError"`).
    public var excType: String
    /// The exception's module (`"builtins"`).
    public var excModule: String
    /// The exception's arguments (Python's `exc.args`).
    public var excMessage: [JSONValue]

    /// Creates an error with an exception class, module and arguments.
    public init(excType: String, excModule: String = "builtins", excMessage: [JSONValue]) {
        self.excType = excType
        self.excModule = excModule
        self.excMessage = excMessage
    }

    /// Python's `ValueError(message)`.
    public static func valueError(_ message: String) -> TaskError {
        TaskError(excType: "ValueError", excMessage: [.string(message)])
    }

    /// Python's `TypeError(message)`.
    public static func typeError(_ message: String) -> TaskError {
        TaskError(excType: "TypeError", excMessage: [.string(message)])
    }

    /// Python's `KeyError(message)`.
    public static func keyError(_ message: String) -> TaskError {
        TaskError(excType: "KeyError", excMessage: [.string(message)])
    }

    /// Python's `RuntimeError(message)`.
    public static func runtimeError(_ message: String) -> TaskError {
        TaskError(excType: "RuntimeError", excMessage: [.string(message)])
    }

    /// The exception as Python would print it: `ValueError('boom', 42)`.
    public var description: String {
        "\(excType)(\(excMessage.map { $0.pythonRepr() }.joined(separator: ", ")))"
    }

    /// Celery's exception dict, as stored in a FAILURE or RETRY result.
    public func json() -> JSONObject {
        ["exc_type": .string(excType), "exc_message": .array(excMessage), "exc_module": .string(excModule)]
    }

    /// Reads Celery's exception dict; `nil` when the value is not one.
    public init?(json value: JSONValue) {
        guard let object = value.objectValue, let type = object["exc_type"]?.stringValue else { return nil }
        self.excType = type
        self.excModule = object["exc_module"]?.stringValue ?? "builtins"
        switch object["exc_message"] {
        case .array(let items)?: self.excMessage = items
        case nil, .null?: self.excMessage = []
        case let other?: self.excMessage = [other]
        }
    }

    /// Converts any error a task throws into the exception stored for it.
    ///
    /// A ``TaskError`` is kept; a ``CeleriacError`` about arguments becomes `TypeError` (as Python reports a
    /// bad call); any other Swift error becomes an exception named after its Swift type in module
    /// `celeriac`, with its description as the message. Python clients without such a class get Celery's
    /// generated stand-in exception with the same name and message.
    public static func from(_ error: any Error) -> TaskError {
        switch error {
        case let error as TaskError: return error
        case let error as SoftTimeLimitExceeded: return error.taskError
        case let error as CeleriacError where error.code == .badArguments:
            return .typeError(error.message)
        default:
            return TaskError(excType: String(describing: type(of: error)), excModule: "celeriac", excMessage: [.string(String(describing: error))])
        }
    }

    /// A Python-style traceback text for a failure, since Swift has no stack to show.
    public func traceback(taskName: String) -> String {
        "Traceback (most recent call last):\n  Celeriac task \"\(taskName)\" (Swift)\n\(excModule == "builtins" ? "" : excModule + ".")\(description)\n"
    }
}

/// The failure stored when a task's soft time limit passes (Celery's `SoftTimeLimitExceeded`).
///
/// Swift has no way to raise an error inside running code: at the soft limit the task is *cancelled*, so
/// its next `await` on something cancellable throws `CancellationError` (or `Task.isCancelled` turns
/// true). The task may catch that, clean up, and return a value (then it succeeds); if it ends with an
/// error, the worker stores this exception.
public struct SoftTimeLimitExceeded: Error, Sendable, Hashable {
    /// The limit in seconds.
    public var seconds: Double
    /// Creates the error.
    public init(seconds: Double) { self.seconds = seconds }
    /// Celery's exception dict as Celery 5.7 stores it: `billiard.exceptions.SoftTimeLimitExceeded` (the class
    /// `celery.exceptions` re-exports) with no arguments.
    public var taskError: TaskError { TaskError(excType: "SoftTimeLimitExceeded", excModule: "billiard.exceptions", excMessage: []) }
}

extension TaskError {
    /// The failure stored when a task's hard time limit passes, as Celery 5.7 stores it:
    /// `billiard.exceptions.TimeLimitExceeded` with the limit as its argument, an integral limit written as
    /// an integer (`[1]`, as billiard raises `TimeLimitExceeded(job._timeout)` with the header's `1`), any
    /// other as a float (`[0.5]`).
    public static func timeLimitExceeded(seconds: Double) -> TaskError {
        TaskError(excType: "TimeLimitExceeded", excModule: "billiard.exceptions", excMessage: [JSONValue.number(seconds)])
    }
}

/// The failure a client sees when it waits for a task that failed or was revoked.
public struct TaskFailedError: Error, Sendable, CustomStringConvertible {
    /// The task id.
    public var taskID: String
    /// FAILURE or REVOKED.
    public var state: TaskState
    /// The stored exception.
    public var error: TaskError
    /// The stored traceback text, if any.
    public var traceback: String?

    /// Creates the error.
    public init(taskID: String, state: TaskState, error: TaskError, traceback: String?) {
        self.taskID = taskID
        self.state = state
        self.error = error
        self.traceback = traceback
    }

    public var description: String { "task \(taskID) \(state): \(error)" }
}
