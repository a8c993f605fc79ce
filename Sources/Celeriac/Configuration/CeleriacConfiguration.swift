/// Every setting of a Celeriac app, worker or client, with Celery 5.7's defaults.
///
/// Each property is one of Celery's settings (the lowercase name is in its documentation) and has a default,
/// so the three common ways to build one are short:
/// ```swift
/// // In code:
/// var config = CeleriacConfiguration()
/// config.brokerURL = "redis://localhost:6379/0"
/// config.taskAcksLate = true
///
/// // From the environment, with Celery's names (CELERY_BROKER_URL, CELERY_TASK_ACKS_LATE...):
/// let fromEnv = try CeleriacConfiguration(environment: ProcessInfo.processInfo.environment)
///
/// // Defaults < file < environment < overrides, then validated:
/// let resolved = try CeleriacConfiguration.resolve(file: "celery.json") { $0.workerConcurrency = 4 }
/// ```
/// Settings only Celeriac has are read from `CELERIAC_` variables and `celeriac_` keys
/// (``deadLetterEnabled``, ``maxMessageSize``, ``workerHostname``).
public struct CeleriacConfiguration: Sendable, Hashable {
    /// The broker used when ``brokerURL`` is `nil`: an SQLite file in the working directory.
    public static let defaultBrokerURL = "sqlite:///celeriac.sqlite"

    // MARK: Broker and backend

    /// `broker_url`: where task messages go; `nil` means ``defaultBrokerURL``.
    public var brokerURL: String?
    /// `result_backend`: where results are stored; `nil` means the broker's SQLite file for an SQLite
    /// broker, and no result backend otherwise (Celery's default).
    public var resultBackend: String?
    /// `broker_transport_options`.
    public var brokerTransportOptions = BrokerTransportOptions()
    /// `result_backend_transport_options`, as written.
    public var resultBackendTransportOptions: JSONObject = [:]
    /// `broker_use_ssl`: TLS for the broker connection with Celery's `ssl_cert_reqs`, `ssl_ca_certs`,
    /// `ssl_certfile`, `ssl_keyfile` keys (`true` is an empty object: TLS with the defaults); `nil` when unset.
    public var brokerUseSSL: JSONObject?
    /// `redis_backend_use_ssl`: the same for a Redis result backend; `nil` when unset.
    public var redisBackendUseSSL: JSONObject?
    /// `broker_connection_timeout`: seconds to wait for a broker connection (4).
    public var brokerConnectionTimeout: Double = 4
    /// `broker_connection_retry`: retry a lost broker connection (true).
    public var brokerConnectionRetry = true
    /// `broker_connection_max_retries`: retries before giving up (100); `nil` retries forever.
    public var brokerConnectionMaxRetries: Int? = 100

    // MARK: Time

    /// `timezone`: the zone for crontab schedules and local times ("UTC").
    public var timezone = "UTC"
    /// `enable_utc`: dates in messages are UTC (true).
    public var enableUTC = true

    // MARK: Beat

    /// `beat_schedule`: the periodic tasks, as Celery's dict in JSON (see ``BeatSchedule`` for the shape);
    /// validated when set. ``beatEntries()`` turns it into ``ScheduleEntry`` values.
    public var beatSchedule: JSONObject = [:]

    // MARK: Serialization

    /// `task_serializer`: always "json" (Celeriac speaks JSON only).
    public var taskSerializer = "json"
    /// `result_serializer`: always "json".
    public var resultSerializer = "json"
    /// `accept_content`: content types a worker accepts (["json"]); must include JSON.
    public var acceptContent = ["json"]

    // MARK: Tasks

    /// `task_acks_late`: acknowledge after the task ran, not before (false).
    public var taskAcksLate = false
    /// `task_reject_on_worker_lost`: requeue a late-acked task whose worker died (false).
    public var taskRejectOnWorkerLost = false
    /// `task_track_started`: report the STARTED state (false).
    public var taskTrackStarted = false
    /// `task_ignore_result`: store no results by default (false).
    public var taskIgnoreResult = false
    /// `task_default_queue`: the queue of unrouted tasks ("celery").
    public var taskDefaultQueue = "celery"
    /// `task_default_priority`: the priority (0-9) of messages that set none; `nil` sends none.
    public var taskDefaultPriority: Int?
    /// `task_routes`: task names or glob patterns to queues; see ``route(for:)``.
    public var taskRoutes = TaskRoutes()
    /// `task_time_limit`: hard time limit in seconds; `nil` for none.
    public var taskTimeLimit: Double?
    /// `task_soft_time_limit`: soft time limit in seconds; `nil` for none.
    public var taskSoftTimeLimit: Double?
    /// `task_default_rate_limit`: a Celery rate string ("10/s", "100/m"); `nil` for none. See ``RateLimit``.
    public var taskDefaultRateLimit: String?
    /// `task_publish_retry`: retry publishing when the broker fails (true).
    public var taskPublishRetry = true
    /// `task_publish_retry_policy`: Celery 5.7's default is 3 retries, waits 0, 0.2, 0.4... capped at 1 second.
    public var taskPublishRetryPolicy = PublishRetryPolicy(maxRetries: 3, intervalStart: 0, intervalStep: 0.2, intervalMax: 1)
    /// `task_send_sent_event`: send `task-sent` events (false).
    public var taskSendSentEvent = false
    /// `task_default_queue_type`: "classic" (the default) or "quorum" (RabbitMQ queues get `x-queue-type: quorum`).
    public var taskDefaultQueueType = "classic"
    /// `task_default_exchange_type`: the type of each queue's exchange on RabbitMQ ("direct").
    public var taskDefaultExchangeType = "direct"
    /// `task_queue_max_priority`: RabbitMQ queues get `x-max-priority` (`nil`, none).
    public var taskQueueMaxPriority: Int?
    /// `broker_native_delayed_delivery_queue_type`: the type of RabbitMQ's `celery_delayed_N` queues ("quorum").
    public var brokerNativeDelayedDeliveryQueueType = "quorum"
    /// `worker_detect_quorum_queues`: per-consumer prefetch when a consumed queue is a quorum queue (true).
    public var workerDetectQuorumQueues = true

    // MARK: Results

    /// `result_expires`: seconds results are kept (86400); `nil` or `0` keeps them forever.
    public var resultExpires: Double? = 86400
    /// `result_extended`: store name, args, kwargs, worker and queue with results (false).
    public var resultExtended = false
    /// `result_persistent`: `rpc://` results are sent persistent (false).
    public var resultPersistent = false

    // MARK: Worker

    /// `worker_concurrency`: tasks run at once; `nil` means the number of CPUs.
    public var workerConcurrency: Int?
    /// `worker_prefetch_multiplier`: messages reserved per concurrency slot (4); `0` means no limit.
    public var workerPrefetchMultiplier = 4
    /// `worker_eta_task_limit`: the most ETA/countdown tasks a worker holds in memory (1000);
    /// `nil` means no bound (Celery's default).
    public var workerEtaLimit: Int? = 1000
    /// `worker_send_task_events`: send task events for monitors such as Flower (false).
    public var workerSendTaskEvents = false
    /// `celeriac_worker_hostname` / `CELERIAC_WORKER_HOSTNAME`: the worker's node name (Celery's `-n`);
    /// `nil` means `celery@<host name>`.
    public var workerHostname: String?

    // MARK: Celeriac's own

    /// `celeriac_dead_letter` / `CELERIAC_DEAD_LETTER` ("keep" or "discard"): keep messages that cannot be
    /// processed (malformed, unknown task) in a dead letter store (true), or discard them after logging (false).
    public var deadLetterEnabled = true
    /// `celeriac_max_message_size` / `CELERIAC_MAX_MESSAGE_SIZE`: the largest message body in bytes (16 MiB).
    public var maxMessageSize = 16 * 1024 * 1024

    /// Settings that were given but that Celeriac does not use: unknown `CELERY_` environment variables
    /// and Celery settings Celeriac does not implement. Log them as a warning.
    public var unrecognizedKeys: [String] = []

    /// Creates a configuration with every default.
    public init() {}

    /// The broker URL in use: ``brokerURL`` or ``defaultBrokerURL``.
    public var effectiveBrokerURL: String { brokerURL ?? Self.defaultBrokerURL }

    /// The result backend URL in use: ``resultBackend``, or for an SQLite broker the same file, or `nil`.
    public var effectiveResultBackend: String? {
        if let resultBackend { return resultBackend }
        let broker = effectiveBrokerURL
        return ConfigText.trimmed(broker).lowercased().hasPrefix("sqlite://") ? broker : nil
    }

    /// The parsed broker URL.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/invalidURL``) when it does not parse.
    public func brokerServiceURL() throws(CeleriacError) -> ServiceURL {
        try ServiceURL(effectiveBrokerURL)
    }

    /// The parsed result backend URL, or `nil` when results are not stored.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/invalidURL``) when it does not parse.
    public func resultBackendServiceURL() throws(CeleriacError) -> ServiceURL? {
        guard let backend = effectiveResultBackend else { return nil }
        return try ServiceURL(backend)
    }

    /// The parsed default rate limit, or `nil` when tasks are not limited.
    /// - Throws: ``CeleriacError`` when ``taskDefaultRateLimit`` is not a valid rate string.
    public func defaultRateLimit() throws(CeleriacError) -> RateLimit? {
        try RateLimit.parse(taskDefaultRateLimit)
    }

    /// The route for a task from ``taskRoutes``: an exact name first, then glob patterns in order.
    ///
    /// - Parameter taskName: the task's name, such as `"tasks.add"`.
    /// - Returns: the route, or `nil` when the task goes to ``taskDefaultQueue``.
    public func route(for taskName: String) -> TaskRoute? {
        taskRoutes.route(for: taskName)
    }
}
