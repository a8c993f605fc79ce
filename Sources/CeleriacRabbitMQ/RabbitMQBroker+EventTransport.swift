import Celeriac
import CeleriacAMQP
import Foundation
import NIOCore
import Synchronization

/// Celery's monitoring entities on RabbitMQ (`../shared/celery-protocol/AMQP.md`, "Topology").
enum MonitoringTopology {
    /// The `celeryev` exchange: topic, durable (`celery/events/event.py:get_exchange`).
    static let eventExchange = (name: EventEnvelope.exchange, type: "topic", durable: true)
    /// The `celery.pidbox` exchange: fanout, not durable (`kombu/pidbox.py:Mailbox._get_exchange`).
    static let pidboxExchange = (name: ControlEnvelope.exchange, type: "fanout", durable: false)
    /// The `reply.celery.pidbox` exchange: direct, not durable (`Mailbox._get_reply_exchange`).
    static let replyExchange = (name: ControlEnvelope.replyExchange, type: "direct", durable: false)

    /// An event receiver's queue arguments: `event_queue_expires` 60 s, `event_queue_ttl` 5 s.
    static let eventQueueArguments: AMQPTable = ["x-expires": .int32(60_000), "x-message-ttl": .int32(5_000)]
    /// Pidbox and reply queue arguments: `control_queue_expires` 10 s, `control_queue_ttl` 300 s.
    static let pidboxQueueArguments: AMQPTable = ["x-expires": .int32(10_000), "x-message-ttl": .int32(300_000)]

    /// Exchanges declared per connection (by the connection's identity), so each is declared once, as kombu
    /// declares an entity once per connection.
    static let declaredExchanges = Mutex<Set<String>>([])
}

extension RabbitMQBroker: EventTransport {
    /// Publishes to the `celeryev` topic exchange with the event's routing key (`worker.heartbeat`, `task.multi`),
    /// transient, as Celery's `EventDispatcher` does on RabbitMQ.
    public func publishEvent(_ envelope: [UInt8], routingKey: String) async throws {
        try await publishMonitoring(envelope, to: MonitoringTopology.eventExchange, routingKey: routingKey, what: "publishing an event")
    }

    /// Every event from now on: an exclusive, auto-delete `celeryev.<uuid>` queue bound to `celeryev` with `#`
    /// (`celery/events/receiver.py:EventReceiver`), consumed without acks on its own channel, which closes when
    /// the stream is dropped.
    public func eventEnvelopes() async throws -> AsyncThrowingStream<[UInt8], any Error> {
        try checkOpen()
        let channel: AMQPChannel
        do {
            channel = try await connect().openChannel()
        } catch {
            throw Self.failure("opening an event channel", error)
        }
        do {
            let exchange = MonitoringTopology.eventExchange
            try await channel.declareExchange(exchange.name, type: exchange.type, durable: exchange.durable)
            let queue = "celeryev.\(UUID().uuidString.lowercased())"
            try await channel.declareQueue(queue, exclusive: true, autoDelete: true, arguments: MonitoringTopology.eventQueueArguments)
            try await channel.bindQueue(queue, to: exchange.name, routingKey: "#")
            let consumer = try await channel.consume(queue: queue, noAck: true)
            return Self.envelopes(of: consumer, channel: channel)
        } catch {
            await channel.close()
            throw Self.failure("listening for events", error)
        }
    }

    // MARK: Shared by events and remote control

    /// Publishes a kombu envelope (converted by ``RabbitMQMessageCodec``) to a monitoring exchange, declaring the
    /// exchange first on this connection. A publish that fails (the exchange may have gone with a broker restart)
    /// is declared and tried once more.
    func publishMonitoring(
        _ envelope: [UInt8], to exchange: (name: String, type: String, durable: Bool), routingKey: String, what: String
    ) async throws {
        try checkOpen()
        let (body, properties) = try RabbitMQMessageCodec.message(fromEnvelope: envelope, priority: 0)
        var lastError: (any Error)?
        for _ in 0..<2 {
            do {
                let connection = try await connect()
                let channel = try await publisher()
                let key = "\(ObjectIdentifier(connection).hashValue)/\(exchange.name)"
                if !MonitoringTopology.declaredExchanges.withLock({ $0.contains(key) }) {
                    try await channel.declareExchange(exchange.name, type: exchange.type, durable: exchange.durable)
                    MonitoringTopology.declaredExchanges.withLock { _ = $0.insert(key) }
                }
                do {
                    try await channel.publish(ByteBuffer(bytes: body), exchange: exchange.name, routingKey: routingKey, properties: properties)
                } catch {
                    MonitoringTopology.declaredExchanges.withLock { _ = $0.remove(key) }
                    throw error
                }
                return
            } catch {
                if error is CancellationError { throw error }
                lastError = error
                await dropPublisher()
            }
        }
        throw Self.failure(what, lastError ?? CeleriacError(.brokerFailure, "RabbitMQ failed while \(what)"))
    }

    /// The kombu envelopes of a consumer's deliveries, until the consumer ends or the stream is dropped (which
    /// closes `channel`).
    static func envelopes(of consumer: AMQPConsumer, channel: AMQPChannel) -> AsyncThrowingStream<[UInt8], any Error> {
        let (stream, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let reader = Task {
            do {
                for try await delivery in consumer {
                    continuation.yield(envelope(of: delivery))
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
            await channel.close()
        }
        continuation.onTermination = { _ in
            reader.cancel()
            Task { await channel.close() }
        }
        return stream
    }

    /// A delivery as the kombu envelope the core decodes.
    static func envelope(of delivery: AMQPDelivery) -> [UInt8] {
        RabbitMQMessageCodec.envelope(
            body: Array(delivery.body.readableBytesView), properties: delivery.properties, exchange: delivery.exchange,
            routingKey: delivery.routingKey, redelivered: delivery.redelivered, deliveryTag: String(delivery.deliveryTag))
    }
}
