/// Per-task options with Celery's names and semantics (`Task` class attributes).
///
/// `nil` means "use the app's configuration" (for example ``acksLate`` falls back to `task_acks_late`).
public struct TaskOptions: Sendable {
    /// How many times the task may be retried; `nil` retries forever. Celery's default is 3.
    public var maxRetries: Int? = 3
    /// Seconds before a retry when no countdown is given. Celery's default is 180.
    public var defaultRetryDelay: Double = 180
    /// Errors that trigger an automatic retry (Celery's `autoretry_for`); `nil` disables it.
    public var autoretryFor: (@Sendable (any Error) -> Bool)?
    /// Exponential backoff factor in seconds for automatic retries (`retry_backoff`); 0 disables it.
    public var retryBackoff: Double = 0
    /// The largest backoff delay in seconds (`retry_backoff_max`, 600).
    public var retryBackoffMax: Double = 600
    /// Whether the backoff delay is randomised (`retry_jitter`, full jitter).
    public var retryJitter: Bool = true
    /// Acknowledge after the task ran instead of before (`acks_late`).
    public var acksLate: Bool?
    /// Requeue an acks-late task whose execution was lost (`reject_on_worker_lost`). Celeriac runs tasks
    /// inside the worker process, so a lost execution means a lost worker: its acks-late messages always
    /// come back (after the lease, or at once on cold shutdown), as if this were `true`. Kept for
    /// configuration compatibility with Celery.
    public var rejectOnWorkerLost: Bool?
    /// Do not store the result (`ignore_result`).
    public var ignoreResult: Bool?
    /// Store a STARTED state when the task starts (`track_started`).
    public var trackStarted: Bool?
    /// Celery's rate string: `"10/s"`, `"100/m"`, `"1000/h"`; per worker.
    public var rateLimit: String?
    /// Hard time limit in seconds.
    public var timeLimit: Double?
    /// Soft time limit in seconds: the task is cancelled (it sees `CancellationError` and may clean up);
    /// if it then fails, ``SoftTimeLimitExceeded`` is stored.
    public var softTimeLimit: Double?
    /// Default expiry in seconds from the call.
    public var expires: Double?
    /// Default queue for calls of this task.
    public var queue: String?
    /// Default priority 0-9.
    public var priority: Int?

    /// Creates options; every parameter has Celery's default.
    public init(
        maxRetries: Int? = 3, defaultRetryDelay: Double = 180, autoretryFor: (@Sendable (any Error) -> Bool)? = nil,
        retryBackoff: Double = 0, retryBackoffMax: Double = 600, retryJitter: Bool = true, acksLate: Bool? = nil,
        rejectOnWorkerLost: Bool? = nil, ignoreResult: Bool? = nil, trackStarted: Bool? = nil, rateLimit: String? = nil,
        timeLimit: Double? = nil, softTimeLimit: Double? = nil, expires: Double? = nil, queue: String? = nil, priority: Int? = nil
    ) {
        self.maxRetries = maxRetries
        self.defaultRetryDelay = defaultRetryDelay
        self.autoretryFor = autoretryFor
        self.retryBackoff = retryBackoff
        self.retryBackoffMax = retryBackoffMax
        self.retryJitter = retryJitter
        self.acksLate = acksLate
        self.rejectOnWorkerLost = rejectOnWorkerLost
        self.ignoreResult = ignoreResult
        self.trackStarted = trackStarted
        self.rateLimit = rateLimit
        self.timeLimit = timeLimit
        self.softTimeLimit = softTimeLimit
        self.expires = expires
        self.queue = queue
        self.priority = priority
    }

    /// Retries automatically on any error of type `E` (Celery's `autoretry_for=(E,)`).
    public static func retrying<E: Error>(on type: E.Type) -> @Sendable (any Error) -> Bool {
        { $0 is E }
    }

    /// The countdown before automatic retry number `retries + 1`, as Celery's
    /// `get_exponential_backoff_interval`: `min(max, factor * 2^retries)`, then with jitter a uniform
    /// integer in `0...countdown`.
    public func autoretryCountdown(retries: Int, random: (ClosedRange<Int>) -> Int = { Int.random(in: $0) }) -> Double {
        guard retryBackoff > 0 else { return defaultRetryDelay }
        let exponent = min(retries, 62)
        var countdown = min(retryBackoffMax, retryBackoff * Double(1 << exponent))
        if retryJitter {
            countdown = Double(random(0...Int(countdown)))
        }
        return max(0, countdown)
    }
}
