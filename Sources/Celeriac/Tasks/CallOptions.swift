import struct Foundation.Date

/// Options for one call, with Celery's `apply_async` names and semantics.
public struct CallOptions: Sendable {
    /// Run no earlier than this many seconds from now (becomes the `eta` header).
    public var countdown: Double?
    /// Run no earlier than this time.
    public var eta: Date?
    /// Do not run after this time; an expired task ends REVOKED.
    public var expires: Expiry?
    /// The queue to send to; defaults to the task's route, then `task_default_queue`.
    public var queue: String?
    /// The routing key; on the default exchange it is the queue name.
    public var routingKey: String?
    /// Priority 0-9 (0 is taken first on Redis and SQLite).
    public var priority: Int?
    /// The task id; a new UUID when `nil`.
    public var taskID: String?
    /// Extra message headers.
    public var headers: JSONObject = [:]
    /// Callbacks applied with the result.
    public var link: [Signature] = []
    /// Callbacks applied with the task id when the task fails.
    public var linkError: [Signature] = []
    /// Do not store the result.
    public var ignoreResult: Bool?
    /// Retry publishing when the broker fails; defaults to `task_publish_retry`.
    public var retry: Bool?
    /// How to retry publishing; defaults to `task_publish_retry_policy`.
    public var retryPolicy: PublishRetryPolicy?
    /// Hard time limit in seconds for this call.
    public var timeLimit: Double?
    /// Soft time limit in seconds for this call.
    public var softTimeLimit: Double?
    /// A display name for logs and monitors.
    public var shadow: String?
    /// The task that sends this one (set by workers for retries and callbacks).
    public var parentID: String?
    /// The first task of the workflow.
    public var rootID: String?
    /// The group the task belongs to.
    public var groupID: String?
    /// The position in the group.
    public var groupIndex: Int?

    /// When a task expires: a number of seconds from now or a fixed time.
    public enum Expiry: Sendable, Hashable {
        /// Seconds from the call.
        case seconds(Double)
        /// A fixed time.
        case date(Date)
    }

    /// Creates options; all unset by default.
    public init(
        countdown: Double? = nil, eta: Date? = nil, expires: Expiry? = nil, queue: String? = nil, routingKey: String? = nil,
        priority: Int? = nil, taskID: String? = nil, headers: JSONObject = [:], link: [Signature] = [], linkError: [Signature] = [],
        ignoreResult: Bool? = nil, retry: Bool? = nil, retryPolicy: PublishRetryPolicy? = nil, timeLimit: Double? = nil,
        softTimeLimit: Double? = nil, shadow: String? = nil
    ) {
        self.countdown = countdown
        self.eta = eta
        self.expires = expires
        self.queue = queue
        self.routingKey = routingKey
        self.priority = priority
        self.taskID = taskID
        self.headers = headers
        self.link = link
        self.linkError = linkError
        self.ignoreResult = ignoreResult
        self.retry = retry
        self.retryPolicy = retryPolicy
        self.timeLimit = timeLimit
        self.softTimeLimit = softTimeLimit
        self.shadow = shadow
    }
}

/// How a producer retries publishing when the broker fails (Celery's `retry_policy`).
public struct PublishRetryPolicy: Sendable, Hashable {
    /// Give up after this many retries.
    public var maxRetries: Int = 3
    /// Seconds to wait before the first retry.
    public var intervalStart: Double = 0
    /// Seconds added to the wait on each retry.
    public var intervalStep: Double = 0.2
    /// The longest wait in seconds.
    public var intervalMax: Double = 1

    /// Creates a policy; the defaults are Celery's.
    public init(maxRetries: Int = 3, intervalStart: Double = 0, intervalStep: Double = 0.2, intervalMax: Double = 1) {
        self.maxRetries = maxRetries
        self.intervalStart = intervalStart
        self.intervalStep = intervalStep
        self.intervalMax = intervalMax
    }

    /// The wait before retry number `attempt` (0-based).
    public func interval(attempt: Int) -> Double {
        min(intervalMax, intervalStart + Double(attempt) * intervalStep)
    }
}
