import struct Foundation.Date
import Logging

/// What a running task knows about its own call (Celery's `self.request`), and how it asks to be retried.
public struct TaskContext: Sendable {
    /// The task id.
    public var id: String
    /// The task name.
    public var name: String
    /// How many times this task was retried before this run.
    public var retries: Int
    /// The raw positional arguments.
    public var args: [JSONValue]
    /// The raw keyword arguments.
    public var kwargs: JSONObject
    /// The message headers.
    public var headers: TaskHeaders
    /// The queue the message came from.
    public var queue: String
    /// The worker's node name (`celery@host`).
    public var hostname: String
    /// Whether the message was delivered before.
    public var redelivered: Bool
    /// A logger with the task's id and name as metadata.
    public var logger: Logger

    /// Creates a context (workers do this; tests may too).
    public init(id: String, name: String, retries: Int, args: [JSONValue], kwargs: JSONObject, headers: TaskHeaders, queue: String, hostname: String, redelivered: Bool, logger: Logger) {
        self.id = id
        self.name = name
        self.retries = retries
        self.args = args
        self.kwargs = kwargs
        self.headers = headers
        self.queue = queue
        self.hostname = hostname
        self.redelivered = redelivered
        self.logger = logger
    }

    /// Asks the worker to run this task again later (Celery's `self.retry()`): the same task id is sent in a
    /// new message with `retries + 1`, the RETRY state is stored, and this run ends.
    ///
    /// Past `maxRetries` (the task's ``TaskOptions/maxRetries`` when `nil`) the task fails with `error`, or
    /// with Celery's `MaxRetriesExceededError` when no error is given.
    /// - Parameters:
    ///   - countdown: seconds until the retry; the task's ``TaskOptions/defaultRetryDelay`` when `nil`.
    ///   - eta: a fixed time for the retry instead of a countdown.
    ///   - error: the reason, stored with the RETRY state.
    ///   - maxRetries: overrides the task's limit for this decision.
    /// - Throws: always; the thrown value tells the worker to retry.
    public func retry(countdown: Double? = nil, eta: Date? = nil, error: (any Error)? = nil, maxRetries: Int?? = nil) throws -> Never {
        throw TaskRetry(countdown: countdown, eta: eta, error: error.map(TaskError.from), maxRetries: maxRetries)
    }
}

/// Thrown by ``TaskContext/retry(countdown:eta:error:maxRetries:)`` to tell the worker to retry.
public struct TaskRetry: Error, Sendable {
    /// Seconds until the retry.
    public var countdown: Double?
    /// A fixed time for the retry.
    public var eta: Date?
    /// The reason.
    public var error: TaskError?
    /// Overrides the task's limit: `.some(nil)` retries forever.
    public var maxRetries: Int??
}
