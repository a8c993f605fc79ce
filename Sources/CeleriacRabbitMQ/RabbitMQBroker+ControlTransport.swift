import Celeriac
import CeleriacAMQP

extension RabbitMQBroker: ControlTransport {
    /// How often ``nextControlReply(routingKey:timeout:)`` looks at the reply queue.
    static let replyPollInterval: Duration = .milliseconds(20)

    /// Publishes a request to the `celery.pidbox` fanout exchange (`kombu/pidbox.py:Mailbox._broadcast`).
    public func broadcastControl(_ envelope: [UInt8]) async throws {
        try await publishMonitoring(envelope, to: MonitoringTopology.pidboxExchange, routingKey: "", what: "broadcasting a control request")
    }

    /// Declares the node's `<hostname>.celery.pidbox` queue as Celery's workers do (exclusive, auto-delete,
    /// `x-expires` 10 s, `x-message-ttl` 300 s), binds it to `celery.pidbox`, and consumes it without acks on
    /// its own channel, which closes when the stream is dropped.
    public func controlRequests(hostname: String) async throws -> AsyncThrowingStream<[UInt8], any Error> {
        try checkOpen()
        let channel: AMQPChannel
        do {
            channel = try await connect().openChannel()
        } catch {
            throw Self.failure("opening the pidbox channel", error)
        }
        do {
            let exchange = MonitoringTopology.pidboxExchange
            let queue = hostname + "." + ControlEnvelope.exchange
            try await channel.declareExchange(exchange.name, type: exchange.type, durable: exchange.durable)
            try await channel.declareQueue(queue, exclusive: true, autoDelete: true, arguments: MonitoringTopology.pidboxQueueArguments)
            try await channel.bindQueue(queue, to: exchange.name, routingKey: "")
            let consumer = try await channel.consume(queue: queue, noAck: true)
            return Self.envelopes(of: consumer, channel: channel)
        } catch {
            await channel.close()
            throw Self.failure("listening on the pidbox", error)
        }
    }

    /// Publishes a reply to the `reply.celery.pidbox` direct exchange with the client's routing key
    /// (`Mailbox._publish_reply`); a reply nobody's queue is bound for is dropped by RabbitMQ, as in kombu.
    public func sendControlReply(_ envelope: [UInt8], routingKey: String) async throws {
        try await publishMonitoring(envelope, to: MonitoringTopology.replyExchange, routingKey: routingKey, what: "sending a control reply")
    }

    /// Declares `<oid>.reply.celery.pidbox` (exclusive, auto-delete, `x-expires` 10 s, `x-message-ttl` 300 s)
    /// bound to `reply.celery.pidbox` with `<oid>` (`Mailbox.get_reply_queue`), before the request goes out.
    public func openControlReplies(routingKey: String) async throws {
        try await withMonitoringChannel("declaring the reply queue") { channel in
            let exchange = MonitoringTopology.replyExchange
            let queue = Self.replyQueue(routingKey)
            try await channel.declareExchange(exchange.name, type: exchange.type, durable: exchange.durable)
            try await channel.declareQueue(queue, exclusive: true, autoDelete: true, arguments: MonitoringTopology.pidboxQueueArguments)
            try await channel.bindQueue(queue, to: exchange.name, routingKey: routingKey)
        }
    }

    /// The next reply in `<oid>.reply.celery.pidbox` (`basic.get` without ack, looked at every 20 ms), or `nil`
    /// when none came within `timeout`.
    public func nextControlReply(routingKey: String, timeout: Duration) async throws -> [UInt8]? {
        let queue = Self.replyQueue(routingKey)
        let deadline = ContinuousClock.now + timeout
        return try await withMonitoringChannel("waiting for control replies") { channel -> [UInt8]? in
            while true {
                if let got = try await channel.get(queue: queue, noAck: true) { return Self.envelope(of: got.delivery) }
                if ContinuousClock.now >= deadline { return nil }
                try await Task.sleep(for: min(Self.replyPollInterval, deadline - ContinuousClock.now))
            }
        }
    }

    /// Deletes the reply queue (RabbitMQ would also drop it with the connection, or 10 s after its last use).
    public func closeControlReplies(routingKey: String) async throws {
        try await withMonitoringChannel("removing the reply queue") { channel in
            _ = try await channel.deleteQueue(Self.replyQueue(routingKey))
        }
    }

    /// `<oid>.reply.celery.pidbox`.
    static func replyQueue(_ routingKey: String) -> String { routingKey + "." + ControlEnvelope.replyExchange }

    /// Runs `body` on a channel of its own (a refused declaration closes only that channel), then closes it.
    private func withMonitoringChannel<T: Sendable>(_ what: String, _ body: (AMQPChannel) async throws -> T) async throws -> T {
        try checkOpen()
        let channel: AMQPChannel
        do {
            channel = try await connect().openChannel()
        } catch {
            throw Self.failure(what, error)
        }
        do {
            let value = try await body(channel)
            await channel.close()
            return value
        } catch {
            await channel.close()
            throw Self.failure(what, error)
        }
    }
}
