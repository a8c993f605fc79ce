import Celeriac
import CeleriacAMQP
import Foundation
import Logging
import NIOCore

/// A broker on RabbitMQ (AMQP 0-9-1) with Celery's topology, so Celeriac and Python Celery 5.7 workers and
/// clients share queues.
///
/// - Each queue gets Celery's entities (`celery/app/amqp.py:AMQP.Queues`): a durable **direct exchange named
///   like the queue**, a durable queue (with `x-max-priority` only when ``Configuration/maxPriority`` is set)
///   and a binding with the queue name as routing key. Tasks are published to the default exchange `""` with
///   the queue name as routing key, persistent (`delivery_mode` 2), as Celery does.
/// - Messages are converted between kombu envelopes and AMQP messages by ``RabbitMQMessageCodec``: the body
///   is the raw JSON `[args, kwargs, embed]`, the task headers an AMQP header table.
/// - Receiving runs one consumer per queue on one channel with `basic.qos` prefetch = the messages the caller
///   holds + the `limit` it asks for (global on RabbitMQ 3.x, as kombu sends it), and hands out the buffered
///   deliveries. Acks are `basic.ack`, rejects `basic.reject`, give-backs `basic.reject requeue=true` (RabbitMQ
///   puts the message back in its place at the head of the queue, marked redelivered).
/// - There are no leases: RabbitMQ itself redelivers every unacknowledged message when the consumer's channel
///   or connection closes (a worker died or lost its connection), so ``extendLeases(_:)`` and
///   ``restoreExpiredLeases()`` do nothing. A message held for longer than RabbitMQ's `consumer_timeout`
///   (30 minutes by default) makes the broker close the channel; it is then redelivered.
///
/// ```swift
/// let broker = try RabbitMQBroker(url: "amqp://guest:guest@localhost:5672//")
/// try await broker.publish(envelope, queue: "celery", priority: 0)
/// let deliveries = try await broker.receive(from: ["celery"], limit: 10, timeout: .seconds(1))
/// try await broker.ack(deliveries.map(\.tag))
/// await broker.close()
/// ```
public actor RabbitMQBroker: Broker {
    /// The connection settings (from the `amqp://` URL).
    public nonisolated let amqpConfiguration: AMQPConfiguration
    /// The broker settings.
    public nonisolated let configuration: Configuration
    nonisolated let logger: Logger
    /// Starts every delivery tag, so tags of another broker instance (a previous worker) are never taken for ours.
    nonisolated let instanceID = String(UInt32.random(in: 0...UInt32.max), radix: 36)

    var connection: AMQPConnection?
    var connecting: Task<AMQPConnection, any Error>?
    /// Channel for publishing, declaring and purging (in confirm mode when configured).
    var publishChannel: AMQPChannel?
    /// Queues declared on the current connection (kombu declares each once per connection).
    var declared: Set<String> = []
    var consumption = Consumption()
    var closed = false
    /// Whether the native delayed delivery levels were declared on the current connection.
    var delayedDeliveryDeclared = false
    /// Whether the "quorum queue on a direct exchange" warning was logged.
    var warnedDirectExchange = false
    /// Where results of received tasks go, for the `rpc://` backend (see ``RPCResultBackend``).
    var replyRoutes = ReplyRoutes()

    /// Creates a broker; nothing connects until first use.
    /// - Parameters:
    ///   - amqpConfiguration: where and how to connect.
    ///   - configuration: the broker settings.
    public init(amqpConfiguration: AMQPConfiguration, configuration: Configuration = Configuration()) {
        self.amqpConfiguration = amqpConfiguration
        self.configuration = configuration
        self.logger = configuration.logger
    }

    /// Creates a broker for an `amqp://`, `amqps://`, `pyamqp://` or `pyamqps://` URL; nothing connects until
    /// first use.
    /// - Parameters:
    ///   - url: the broker URL, as Celery writes it.
    ///   - configuration: the broker settings.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/invalidURL``) for a malformed URL.
    public init(url: String, configuration: Configuration = Configuration()) throws {
        let amqpConfiguration: AMQPConfiguration
        do {
            amqpConfiguration = try AMQPConfiguration(url: url)
        } catch {
            throw CeleriacError(.invalidURL, "broker_url: \(error)", underlying: error)
        }
        self.init(amqpConfiguration: amqpConfiguration, configuration: configuration)
    }

    // MARK: Publishing

    /// Publishes one envelope to the default exchange with the queue name as routing key, declaring the
    /// queue's exchange, queue and binding first if this connection has not yet.
    /// - Parameters:
    ///   - envelope: the kombu envelope bytes, converted to an AMQP message.
    ///   - queue: the queue name.
    ///   - priority: the AMQP priority when the envelope's properties carry none.
    /// - Throws: ``CeleriacError``: ``CeleriacError/Code/malformedMessage`` for an envelope that isn't one,
    ///   ``CeleriacError/Code/brokerFailure`` when RabbitMQ fails or refuses the message.
    public func publish(_ envelope: [UInt8], queue: String, priority: Int) async throws {
        try await publish(batch: [OutgoingEnvelope(envelope: envelope, queue: queue, priority: priority)])
    }

    /// Publishes several envelopes; with publisher confirms they are all in flight at once and this returns when
    /// every one is confirmed.
    /// - Parameter batch: the envelopes, queues and priorities.
    /// - Throws: ``CeleriacError`` as ``publish(_:queue:priority:)``.
    public func publish(batch: [OutgoingEnvelope]) async throws {
        guard !batch.isEmpty else { return }
        try checkOpen()
        var messages: [(queue: String, body: ByteBuffer, properties: AMQPProperties)] = []
        messages.reserveCapacity(batch.count)
        for item in batch {
            let (body, properties) = try RabbitMQMessageCodec.message(fromEnvelope: item.envelope, priority: item.priority)
            messages.append((item.queue, ByteBuffer(bytes: body), properties))
        }
        do {
            let channel = try await publisher()
            for queue in messages.map(\.queue) where !declared.contains(queue) {
                try await declareTopology(queue, on: channel)  // inserts into `declared`, so once per queue
            }
            try await declareReplyQueues(for: messages.map(\.properties), on: channel)
            let now = Date()
            let routed = messages.map { message in (message, destination(for: message.queue, properties: message.properties, now: now)) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (message, target) in routed {
                    group.addTask {
                        try await channel.publish(message.body, exchange: target.exchange, routingKey: target.routingKey, properties: message.properties)
                    }
                }
                try await group.waitForAll()
            }
        } catch {
            await dropPublisher()
            throw Self.failure("publishing", error)
        }
    }

    /// The publishing channel, opened (and put in confirm mode) on first use.
    func publisher() async throws -> AMQPChannel {
        let connection = try await connect()
        if let publishChannel { return publishChannel }
        let channel = try await connection.openChannel()
        if configuration.publisherConfirms { try await channel.confirmSelect() }
        if let existing = publishChannel {
            await channel.close()
            return existing
        }
        publishChannel = channel
        return channel
    }

    /// Forgets the publishing channel after an error (the broker may have closed it).
    func dropPublisher() async {
        let channel = publishChannel
        publishChannel = nil
        await channel?.close()
    }

    // MARK: Connection

    /// The open connection, connecting (again) when there is none or it was lost. A new connection starts
    /// with nothing declared and no consumers.
    func connect() async throws -> AMQPConnection {
        try checkOpen()
        if let connection, connection.isOpen { return connection }
        if let connecting { return try await connecting.value }
        let configuration = amqpConfiguration
        let logger = logger
        let task = Task { try await AMQPConnection.open(configuration: configuration, logger: logger) }
        connecting = task
        defer { connecting = nil }
        let fresh = try await task.value
        if closed {
            await fresh.close()
            throw CeleriacError(.closed, "the RabbitMQ broker is closed")
        }
        if let old = connection {
            logger.warning("reconnected to RabbitMQ; unacknowledged messages of the lost connection are redelivered")
            await old.close()
        }
        connection = fresh
        publishChannel = nil
        declared = []
        delayedDeliveryDeclared = false
        resetConsumption()
        return fresh
    }

    /// Closes the connection. RabbitMQ puts every delivered and unacknowledged message back in its queue.
    public func close() async {
        closed = true
        resetConsumption()
        publishChannel = nil
        let connection = connection
        self.connection = nil
        await connection?.close()
    }

    func checkOpen() throws {
        if closed { throw CeleriacError(.closed, "the RabbitMQ broker is closed") }
    }

    static func failure(_ what: String, _ error: any Error) -> any Error {
        if error is CeleriacError || error is CancellationError { return error }
        return CeleriacError(.brokerFailure, "RabbitMQ failed while \(what): \(error)", underlying: error)
    }
}

extension RabbitMQBroker {
    /// Connects now, so a wrong URL, password or vhost is reported at start-up rather than on first use.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/brokerFailure``) with the AMQP client's reason.
    public func checkConnection() async throws {
        do {
            _ = try await connect()
        } catch {
            throw Self.failure("connecting to \(amqpConfiguration.host):\(amqpConfiguration.port)", error)
        }
    }
}
