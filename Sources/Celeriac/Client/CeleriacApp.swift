import Foundation
import Logging

/// A Celery application: the configuration, the broker, the result backend and the task registry.
///
/// Producers use it to send tasks and read results; a ``Worker`` uses it to run them.
/// ```swift
/// let app = CeleriacApp(configuration: config, broker: broker, backend: backend)
/// app.registry.register(add) { args, _ in args.x + args.y }
/// let result = try await app.delay(add, AddArguments(x: 2, y: 3))
/// ```
public final class CeleriacApp: Sendable {
    /// The settings.
    public let configuration: CeleriacConfiguration
    /// Where messages go.
    public let broker: any Broker
    /// Where results are kept; `nil` disables results.
    public let backend: (any ResultBackend)?
    /// The tasks this process can run.
    public let registry: TaskRegistry
    /// The app's logger.
    public let logger: Logger
    /// `gen<pid>@<host>`, the origin of messages this process sends.
    public let origin: String
    /// This process's reply queue id (Celery's `thread_oid`), sent as `reply_to`.
    public let oid: String

    /// Creates an app.
    /// - Parameters:
    ///   - configuration: the settings.
    ///   - broker: the broker (see the `CeleriacSQLite` module for the embedded default).
    ///   - backend: the result backend, or `nil` for none.
    ///   - registry: the tasks this process runs.
    ///   - logger: the logger for the app's own messages.
    public init(configuration: CeleriacConfiguration = CeleriacConfiguration(), broker: any Broker, backend: (any ResultBackend)?, registry: TaskRegistry = TaskRegistry(), logger: Logger = Logger(label: "celeriac", factory: { _ in SwiftLogNoOpLogHandler() })) {
        self.configuration = configuration
        self.broker = broker
        self.backend = backend
        self.registry = registry
        self.logger = logger
        self.origin = "gen\(ProcessInfo.processInfo.processIdentifier)@\(ProcessInfo.processInfo.hostName)"
        self.oid = RandomID.uuid4()
    }

    /// The result backend, or an error saying none is configured.
    func requireBackend() throws -> any ResultBackend {
        guard let backend else {
            throw CeleriacError(.invalidConfiguration, "no result backend is configured (set result_backend / CELERY_RESULT_BACKEND)")
        }
        return backend
    }

    /// Sends a typed task with its arguments (Celery's `delay`).
    /// - Returns: a handle on the result.
    /// - Throws: ``CeleriacError`` when the arguments cannot be encoded or the broker fails.
    @discardableResult
    public func delay<A, O>(_ task: TaskName<A, O>, _ arguments: A) async throws -> AsyncResult<O> {
        try await applyAsync(task, arguments, options: CallOptions())
    }

    /// Sends a typed task with call options (Celery's `apply_async`).
    @discardableResult
    public func applyAsync<A, O>(_ task: TaskName<A, O>, _ arguments: A, options: CallOptions) async throws -> AsyncResult<O> {
        let (args, kwargs) = try TaskArgumentCoding.encode(arguments)
        let id = try await send(name: task.name, args: args, kwargs: kwargs, options: options, explicitIgnoreResult: true)
        return AsyncResult(id: id, app: self)
    }

    /// Sends a task by name with JSON arguments (Celery's `send_task`), for tasks this process may not know.
    @discardableResult
    public func send(name: String, args: [JSONValue] = [], kwargs: JSONObject = [:], options: CallOptions = CallOptions()) async throws -> AsyncResult<JSONValue> {
        let id = try await send(name: name, args: args, kwargs: kwargs, options: options, explicitIgnoreResult: false)
        return AsyncResult(id: id, app: self)
    }

    /// A handle on the result of the task `id`.
    public func asyncResult<O: Decodable & Sendable>(id: String, as type: O.Type = JSONValue.self) -> AsyncResult<O> {
        AsyncResult(id: id, app: self)
    }

    /// Revokes a task (Celery's `revoke` without `terminate`): the id is recorded in the broker's revoked set,
    /// and every worker discards the task when it receives it, when its ETA comes, or just before it runs,
    /// storing REVOKED (`TaskRevokedError('revoked')`) then.
    ///
    /// As in Celery, the caller writes nothing to the result backend: a task that is already running (which
    /// reads PENDING while `track_started` is off) is not stopped and keeps its own result, and a waiting
    /// `get` returns when a worker has discarded the task.
    /// - Throws: ``CeleriacError`` when the broker cannot record revoked tasks or fails.
    public func revoke(taskID: String) async throws {
        guard let store = broker as? any RevocationStore else {
            throw CeleriacError(.brokerFailure, "this broker cannot record revoked tasks", taskID: taskID)
        }
        try await store.revoke([taskID])
    }

    /// Builds and publishes a message; returns the task id.
    func send(name: String, args: [JSONValue], kwargs: JSONObject, options: CallOptions, explicitIgnoreResult: Bool) async throws -> String {
        try validatePriority(name: name, options: options)
        let (message, queue) = makeMessage(name: name, args: args, kwargs: kwargs, options: options, explicitIgnoreResult: explicitIgnoreResult)
        try await publish(message, queue: queue, retry: options.retry, policy: options.retryPolicy)
        return message.headers.id
    }

    /// Publishes a message, retrying on broker failures as the publish retry policy says; the traced
    /// ``publish(_:queue:retry:policy:)`` (CeleriacApp+Tracing.swift) calls it.
    func publishUntraced(_ message: TaskMessage, queue: String, retry: Bool?, policy: PublishRetryPolicy?) async throws {
        let envelope = message.envelopeBytes()
        if envelope.count > configuration.maxMessageSize {
            throw CeleriacError(.messageTooLarge, "the message is \(envelope.count) bytes, over the \(configuration.maxMessageSize) byte limit", taskID: message.headers.id, taskName: message.headers.task, queue: queue)
        }
        let retrying = retry ?? configuration.taskPublishRetry
        let policy = policy ?? configuration.taskPublishRetryPolicy
        var attempt = 0
        while true {
            do {
                try await broker.publish(envelope, queue: queue, priority: message.properties.priority)
                return
            } catch {
                guard retrying, Self.isRecoverablePublishFailure(error) else { throw error }
                guard attempt < policy.maxRetries else {
                    // kombu's retry_over_time re-raises after max_retries; say how hard we tried.
                    throw CeleriacError(
                        (error as? CeleriacError)?.code ?? .brokerFailure,
                        "publishing failed after \(attempt + 1) attempt\(attempt == 0 ? "" : "s") (retry_policy max_retries \(policy.maxRetries))",
                        taskID: message.headers.id, taskName: message.headers.task, queue: queue, underlying: error)
                }
                let wait = policy.interval(attempt: attempt)
                logger.warning("publish failed, retrying", metadata: [
                    "celery.task.id": "\(message.headers.id)", "error": "\(error)", "retry": "\(attempt + 1)/\(policy.maxRetries)", "wait": "\(wait)",
                ])
                if wait > 0 { try await Task.sleep(for: .seconds(wait)) }
                attempt += 1
            }
        }
    }

    /// Whether a failed publish is worth retrying. kombu retries its recoverable connection and channel errors;
    /// here that is any broker or connection failure, but not an error a retry cannot fix: a refused
    /// configuration, a bad or oversized message, a closed broker, a cancelled task.
    static func isRecoverablePublishFailure(_ error: any Error) -> Bool {
        if error is CancellationError { return false }
        guard let error = error as? CeleriacError else { return true }
        let permanent: Set<CeleriacError.Code> = [
            .invalidConfiguration, .invalidURL, .closed, .messageTooLarge, .malformedMessage, .contentTypeRefused,
            .badArguments, .unknownTask,
        ]
        return !permanent.contains(error.code)
    }

    /// Builds the protocol v2 message for a call, and the queue it goes to.
    ///
    /// The queue is the first of `queue`, `routingKey`, the task's queue, its route, `task_default_queue`; the
    /// message's `delivery_info` is `{"exchange": "", "routing_key": <queue>}` as Celery writes it on the
    /// default exchange (see docs/calling.md). A priority outside 0-9 is clamped here (messages built from
    /// canvas signatures and by workers); ``send(name:args:kwargs:options:)``, `delay` and `applyAsync` refuse it.
    public func makeMessage(name: String, args: [JSONValue], kwargs: JSONObject, options: CallOptions, explicitIgnoreResult: Bool = true) -> (TaskMessage, queue: String) {
        let taskOptions = registry.task(named: name)?.options
        let route = configuration.route(for: name)
        let queue = options.queue ?? options.routingKey ?? taskOptions?.queue ?? route?.queue ?? configuration.taskDefaultQueue
        let id = options.taskID ?? RandomID.uuid4()
        let now = Date()

        var headers = TaskHeaders(task: name, id: id)
        headers.shadow = options.shadow
        if let eta = options.eta {
            headers.eta = CeleryTimestamp.format(eta)
        } else if let countdown = options.countdown {
            headers.eta = CeleryTimestamp.format(now.addingTimeInterval(countdown))
        }
        var expirySeconds: Double?
        switch options.expires ?? taskOptions?.expires.map(CallOptions.Expiry.seconds) {
        case .seconds(let seconds)?:
            headers.expires = CeleryTimestamp.format(now.addingTimeInterval(seconds))
            expirySeconds = seconds
        case .date(let date)?:
            headers.expires = CeleryTimestamp.format(date)
            expirySeconds = date.timeIntervalSince(now)
        case nil:
            break
        }
        headers.group = options.groupID
        headers.groupIndex = options.groupIndex
        headers.timeLimit = options.timeLimit ?? taskOptions?.timeLimit
        headers.softTimeLimit = options.softTimeLimit ?? taskOptions?.softTimeLimit
        headers.rootID = options.rootID ?? id
        headers.parentID = options.parentID
        // Celery writes saferepr of what the caller passed: a tuple from delay/apply_async, the list given
        // to send_task.
        headers.argsrepr = explicitIgnoreResult ? JSONValue.pythonArgsRepr(args) : JSONValue.array(args).pythonSafeRepr()
        headers.kwargsrepr = JSONValue.pythonKwargsRepr(kwargs)
        headers.origin = origin
        if explicitIgnoreResult {
            headers.ignoreResult = options.ignoreResult ?? taskOptions?.ignoreResult ?? configuration.taskIgnoreResult
        } else {
            headers.ignoreResult = options.ignoreResult
        }
        headers.extra = options.headers

        var properties = MessageProperties()
        properties.correlationID = id
        properties.replyTo = oid
        if let expirySeconds { properties.expiration = String(Int(max(0, expirySeconds) * 1000)) }
        properties.routingKey = queue
        properties.priority = min(9, max(0, options.priority ?? taskOptions?.priority ?? route?.priority ?? configuration.taskDefaultPriority ?? 0))
        properties.deliveryTag = RandomID.uuid4()

        let embed = TaskEmbed(
            callbacks: options.link.isEmpty ? nil : options.link.map { $0.json() },
            errbacks: options.linkError.isEmpty ? nil : options.linkError.map { $0.json() })
        let message = TaskMessage(headers: headers, properties: properties, args: args, kwargs: kwargs, embed: embed)
        return (message, queue)
    }
}

extension ResultMeta {
    /// The REVOKED meta Celery stores (`TaskRevokedError` with `reason`: "revoked", "expired" or "terminated").
    public static func revoked(taskID: String, reason: String) -> ResultMeta {
        ResultMeta(
            taskID: taskID, status: .revoked,
            result: .object(["exc_type": "TaskRevokedError", "exc_message": .array([.string(reason)]), "exc_module": "celery.exceptions"]),
            dateDone: CeleryTimestamp.format(Date()))
    }
}
