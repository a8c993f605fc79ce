import Celeriac
import CeleriacAMQP
import Logging
import NIOCore

/// Celery's `rpc://` result backend (`celery/backends/rpc.py`): results are AMQP messages sent back to the
/// client that sent the task, over the broker's own RabbitMQ connection.
///
/// - **Client**: every task carries `reply_to` = the app's reply queue (Celery's `thread_oid`, ``CeleriacApp/oid``)
///   and `correlation_id` = the task id. Before publishing, the broker declares that queue (durable,
///   auto-delete, `x-expires` = `result_expires`, as `RPCBackend.binding` does); reading a result starts a
///   `no_ack` consumer on it and keeps the latest state of each task it hears about.
/// - **Worker**: each state it stores (STARTED with `track_started`, RETRY, SUCCESS, FAILURE, REVOKED) is
///   published to the default exchange with the task's `reply_to` as routing key and its `correlation_id`,
///   body = Celery's result meta (`status, result, traceback, children, date_done, [group_id, parent_id],
///   task_id`), `application/json`, `delivery_mode` 1 (2 with ``Configuration/persistent``). A task received
///   without `reply_to` stores nothing, as in Celery.
///
/// Results are per client: only the process that sent a task can read its result, once it is consumed it lives
/// only in that process's memory, and groups and chords are refused (Celery's `E_NO_CHORD_SUPPORT`). Use the
/// Redis, SQLite or PostgreSQL backend when results must be shared or kept.
///
/// ```swift
/// let broker = try RabbitMQBroker(url: "amqp://guest:guest@localhost:5672//")
/// let backend = await RPCResultBackend(broker: broker)
/// let app = CeleriacApp(broker: broker, backend: backend)
/// ```
public actor RPCResultBackend: ResultBackend {
    /// Settings of the `rpc://` backend.
    public struct Configuration: Sendable {
        /// Celery's `result_expires`: the reply queue's `x-expires` (RabbitMQ deletes it after this long
        /// unused); `nil` declares it without one. One day by default.
        public var resultExpires: Duration?
        /// Celery's `result_persistent`: results are sent persistent (`delivery_mode` 2) instead of 1.
        public var persistent: Bool
        /// How many task states the client keeps in memory (the oldest are dropped first).
        public var cacheCapacity: Int
        /// Where the backend logs.
        public var logger: Logger

        /// Creates a configuration with Celery's defaults.
        public init(resultExpires: Duration? = .seconds(86_400), persistent: Bool = false, cacheCapacity: Int = 10_000, logger: Logger = RabbitMQBroker.disabledLogger) {
            self.resultExpires = resultExpires
            self.persistent = persistent
            self.cacheCapacity = cacheCapacity
            self.logger = logger
        }

        /// The reply queue's arguments: `x-expires` in milliseconds (`I`, or `L` past 2^31-1, as py-amqp sends it).
        var queueArguments: AMQPTable {
            guard let resultExpires else { return [:] }
            let milliseconds = resultExpires.components.seconds * 1000 + resultExpires.components.attoseconds / 1_000_000_000_000_000
            return ["x-expires": AMQPFieldValue(json: .int(Int(milliseconds)))]
        }
    }

    /// A consumer of one reply queue.
    struct ReplyConsumer {
        var channel: AMQPChannel
        var task: Task<Void, Never>
        /// Messages that were in the queue when the consumer started and have not arrived yet.
        var backlog: Int
        var failed = false
    }

    /// The broker whose connection carries the results.
    public nonisolated let broker: RabbitMQBroker
    /// The settings.
    public nonisolated let configuration: Configuration
    nonisolated let logger: Logger
    var cache: BoundedMap<String, ResultMeta>
    var consumers: [String: ReplyConsumer] = [:]
    var waiters: [Int: (taskID: String?, continuation: CheckedContinuation<Void, Never>)] = [:]
    var nextWaiter = 0
    var closed = false

    /// Creates the backend on a broker's connection; from now on the broker declares reply queues before it
    /// publishes and remembers where received tasks' results go.
    /// - Parameters:
    ///   - broker: the RabbitMQ broker (Celery's rpc backend always uses the broker connection).
    ///   - configuration: the settings.
    public init(broker: RabbitMQBroker, configuration: Configuration = Configuration()) async {
        self.broker = broker
        self.configuration = configuration
        self.logger = configuration.logger
        self.cache = BoundedMap(capacity: configuration.cacheCapacity)
        await broker.enableReplies(queueArguments: configuration.queueArguments)
    }

    // MARK: Worker side

    /// Sends a task's state to the client that sent it (`RPCBackend.store_result`). A task this broker did not
    /// receive with a `reply_to` (or sent itself) has nobody to tell: nothing is sent, as in Celery.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/brokerFailure``) when RabbitMQ fails.
    public func store(_ meta: ResultMeta) async throws {
        try checkOpen()
        guard let route = await broker.replyRoute(for: meta.taskID) else {
            logger.debug("no reply_to for this task; its state is not sent", metadata: ["task_id": "\(meta.taskID)", "state": "\(meta.status)"])
            return
        }
        let body = JSONValue.object(meta.json()).serializedBytes(.python)
        try await broker.publishReply(body, route: route, taskID: meta.taskID, deliveryMode: configuration.persistent ? 2 : 1)
    }

    // MARK: Client side

    /// The latest state heard for a task this process sent, or `nil` (PENDING). The first call for a reply
    /// queue starts consuming it and takes in the messages already waiting there (up to a second).
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/backendFailure``) when RabbitMQ fails.
    public func meta(for taskID: String) async throws -> ResultMeta? {
        try checkOpen()
        try await startConsuming(for: taskID)
        return cache[taskID]
    }

    /// Waits for a ready state of a task this process sent (``TaskState/isReady``).
    /// - Returns: the ready meta, or the last state heard (or `nil`) when `timeout` passed.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/backendFailure``) when RabbitMQ fails.
    public func waitForReady(taskID: String, timeout: Duration?) async throws -> ResultMeta? {
        try checkOpen()
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while true {
            try await startConsuming(for: taskID)
            if let meta = cache[taskID], meta.status.isReady { return meta }
            if closed || Task.isCancelled { return cache[taskID] }
            if let deadline, ContinuousClock.now >= deadline { return cache[taskID] }
            await wait(for: taskID, until: deadline ?? ContinuousClock.now + .seconds(1))
        }
    }

    /// Forgets a task's state in this process (there is nothing stored in RabbitMQ to delete).
    public func forget(taskID: String) async throws {
        cache[taskID] = nil
        await broker.forgetReplyRoute(for: taskID)
    }

    /// Does nothing and returns 0: RabbitMQ deletes an unused reply queue itself after `x-expires`.
    public func deleteExpired() async throws -> Int { 0 }

    /// Stops the reply consumers (the broker, and its connection, stay open).
    public func close() async {
        closed = true
        let open = consumers.values
        consumers = [:]
        for consumer in open {
            consumer.task.cancel()
            await consumer.channel.close()
        }
        wakeAll()
    }

    // MARK: Groups and chords

    /// Refused, as Celery's rpc backend does (`save_group is not supported by this backend.`).
    public func saveGroup(id: String, result: JSONValue) async throws {
        throw CeleriacError(.backendFailure, "save_group is not supported by the rpc:// result backend: use Redis, SQLite or PostgreSQL for group results")
    }

    /// Refused, as Celery's rpc backend does.
    public func restoreGroup(id: String) async throws -> JSONValue? {
        throw CeleriacError(.backendFailure, "restore_group is not supported by the rpc:// result backend: use Redis, SQLite or PostgreSQL for group results")
    }

    /// Refused, as Celery's rpc backend does.
    public func forgetGroup(id: String) async throws {
        throw CeleriacError(.backendFailure, "delete_group is not supported by the rpc:// result backend")
    }

    /// Refused with Celery's `E_NO_CHORD_SUPPORT`.
    public func setChordSize(groupID: String, size: Int) async throws { throw Self.noChords }

    /// Refused with Celery's `E_NO_CHORD_SUPPORT`.
    public func chordPartReturn(_ part: ChordPart) async throws -> ChordJoin { throw Self.noChords }

    /// Refused with Celery's `E_NO_CHORD_SUPPORT`.
    public func endChord(groupID: String, claim: String?, bodySent: Bool) async throws { throw Self.noChords }

    static let noChords = CeleriacError(
        .backendFailure,
        "The \"rpc\" result backend does not support chords! Note that a group chained with a task is also upgraded to be a chord, as this pattern requires synchronization. Result backends that support chords: Redis, SQLite, PostgreSQL.")

    func checkOpen() throws {
        if closed { throw CeleriacError(.closed, "the rpc:// result backend is closed") }
    }
}
