import NIOCore

extension AMQPChannel {
    /// Publishes a message (`basic.publish` + content header + body frames of at most `frame_max - 8` bytes).
    ///
    /// In confirm mode (``confirmSelect()``) this returns once the broker confirmed the message (`basic.ack`) and
    /// throws ``AMQPError/Code/publishNacked`` when it refused it; otherwise it returns once the frames are written.
    /// - Parameters:
    ///   - body: The body.
    ///   - exchange: The exchange; `""` is the default exchange, which routes by queue name.
    ///   - routingKey: The routing key.
    ///   - mandatory: Whether the broker returns the message when no queue takes it (it is logged and dropped).
    ///   - properties: The content properties.
    /// - Throws: ``AMQPError``.
    public func publish(
        _ body: ByteBuffer,
        exchange: String = "",
        routingKey: String,
        mandatory: Bool = false,
        properties: AMQPProperties = .init()
    ) async throws {
        let promise = self.connection.eventLoop.makePromise(of: Void.self)
        let method = AMQPMethod.basic(.publish(exchange: exchange, routingKey: routingKey, mandatory: mandatory, immediate: false))
        self.connection.write(.publish(channel: self.id, method: method, properties: properties, body: body, promise: promise)) {
            promise.fail($0)
        }
        try await self.connection.wait(for: promise.futureResult, what: "basic.publish")
    }

    /// Publishes a UTF-8 text body; see ``publish(_:exchange:routingKey:mandatory:properties:)``.
    /// - Parameters:
    ///   - body: The text.
    ///   - exchange: The exchange.
    ///   - routingKey: The routing key.
    ///   - mandatory: Whether unroutable messages come back.
    ///   - properties: The content properties.
    /// - Throws: ``AMQPError``.
    public func publish(
        _ body: String,
        exchange: String = "",
        routingKey: String,
        mandatory: Bool = false,
        properties: AMQPProperties = .init()
    ) async throws {
        try await self.publish(ByteBuffer(string: body), exchange: exchange, routingKey: routingKey, mandatory: mandatory, properties: properties)
    }

    /// Puts the channel in confirm mode (`confirm.select`): from now on every publish waits for the broker's confirm.
    /// - Throws: ``AMQPError``.
    public func confirmSelect() async throws {
        _ = try await self.call(.confirm(.select(noWait: false)))
    }

    /// Sets the prefetch window (`basic.qos`): the broker sends at most `prefetchCount` unacknowledged messages.
    /// - Parameters:
    ///   - prefetchCount: Messages in flight per consumer (0 = unlimited).
    ///   - prefetchSize: Bytes in flight (0 = unlimited; RabbitMQ supports only 0).
    ///   - global: In RabbitMQ, `true` shares the window among the channel's consumers, `false` applies it to each
    ///     consumer started afterwards.
    /// - Throws: ``AMQPError``.
    public func qos(prefetchCount: UInt16, prefetchSize: UInt32 = 0, global: Bool = false) async throws {
        _ = try await self.call(.basic(.qos(prefetchSize: prefetchSize, prefetchCount: prefetchCount, global: global)))
    }

    /// Starts a consumer on a queue (`basic.consume`).
    ///
    /// Deliveries arrive in the returned sequence until ``cancel(consumerTag:)``, ``close()``, or the broker
    /// cancelling the consumer (the sequence then throws ``AMQPError/Code/consumerCancelled``); a closed channel or
    /// connection ends it with that error. The broker sends no more than the ``qos(prefetchCount:prefetchSize:global:)``
    /// window of unacknowledged messages, which is the back-pressure: acknowledge each delivery when done with it.
    /// - Parameters:
    ///   - queue: The queue.
    ///   - consumerTag: The consumer's tag; `nil` makes a unique one.
    ///   - noAck: Whether the broker considers messages acknowledged as soon as it sends them.
    ///   - exclusive: Whether no other consumer may use the queue.
    ///   - arguments: Consumer arguments (`x-priority`, ...).
    /// - Returns: The consumer: its tag and its deliveries.
    /// - Throws: ``AMQPError``.
    public func consume(
        queue: String,
        consumerTag: String? = nil,
        noAck: Bool = false,
        exclusive: Bool = false,
        arguments: AMQPTable = [:]
    ) async throws -> AMQPConsumer {
        let tag = consumerTag ?? "celeriac.\(self.id).\(UInt64.random(in: 0...UInt64.max))"
        let (stream, sink) = AsyncThrowingStream.makeStream(of: AMQPDelivery.self)
        let promise = self.connection.eventLoop.makePromise(of: AMQPReply.self)
        let method = AMQPMethod.basic(
            .consume(queue: queue, consumerTag: tag, noLocal: false, noAck: noAck, exclusive: exclusive, noWait: false, arguments: arguments)
        )
        self.connection.write(.consume(channel: self.id, method: method, consumerTag: tag, sink: sink, promise: promise)) { error in
            sink.finish(throwing: error)
            promise.fail(error)
        }
        _ = try await self.connection.wait(for: promise.futureResult, what: "basic.consume")
        return AMQPConsumer(consumerTag: tag, channel: self, stream: stream)
    }

    /// Stops a consumer (`basic.cancel`); its sequence ends once the broker confirms. Unacknowledged deliveries stay
    /// unacknowledged until acknowledged or the channel closes.
    /// - Parameter consumerTag: The consumer's tag.
    /// - Throws: ``AMQPError``.
    public func cancel(consumerTag: String) async throws {
        _ = try await self.call(.basic(.cancel(consumerTag: consumerTag, noWait: false)))
    }

    /// Fetches one message (`basic.get`).
    /// - Parameters:
    ///   - queue: The queue.
    ///   - noAck: Whether the message counts as acknowledged at once.
    /// - Returns: The message and how many remain, or `nil` when the queue is empty.
    /// - Throws: ``AMQPError``.
    public func get(queue: String, noAck: Bool = false) async throws -> AMQPGetResult? {
        let reply = try await self.call(.basic(.get(queue: queue, noAck: noAck)))
        switch reply.method {
        case .basic(.getEmpty):
            return nil
        case .basic(.getOk(let deliveryTag, let redelivered, let exchange, let routingKey, let messageCount)):
            guard let message = reply.message else { throw AMQPError.protocolError("basic.get-ok without content") }
            let delivery = AMQPDelivery(
                consumerTag: "", deliveryTag: deliveryTag, redelivered: redelivered, exchange: exchange, routingKey: routingKey,
                message: message, acknowledger: AMQPAcknowledger(channel: self.connection.channel, channelID: self.id)
            )
            return AMQPGetResult(delivery: delivery, messageCount: messageCount)
        default:
            throw AMQPError.protocolError("basic.get answered with \(reply.method.name)")
        }
    }

    /// Acknowledges a delivery by tag (`basic.ack`).
    /// - Parameters:
    ///   - deliveryTag: The delivery tag.
    ///   - multiple: Whether every earlier unacknowledged delivery is included.
    /// - Throws: ``AMQPError`` when the channel is closed.
    public func ack(deliveryTag: UInt64, multiple: Bool = false) async throws {
        try await self.acknowledger.send(.basic(.ack(deliveryTag: deliveryTag, multiple: multiple)))
    }

    /// Rejects a delivery by tag (`basic.reject`).
    /// - Parameters:
    ///   - deliveryTag: The delivery tag.
    ///   - requeue: Whether it goes back to its queue.
    /// - Throws: ``AMQPError`` when the channel is closed.
    public func reject(deliveryTag: UInt64, requeue: Bool) async throws {
        try await self.acknowledger.send(.basic(.reject(deliveryTag: deliveryTag, requeue: requeue)))
    }

    /// Negatively acknowledges deliveries by tag (`basic.nack`).
    /// - Parameters:
    ///   - deliveryTag: The delivery tag.
    ///   - multiple: Whether every earlier unacknowledged delivery is included.
    ///   - requeue: Whether they go back to their queues.
    /// - Throws: ``AMQPError`` when the channel is closed.
    public func nack(deliveryTag: UInt64, multiple: Bool = false, requeue: Bool) async throws {
        try await self.acknowledger.send(.basic(.nack(deliveryTag: deliveryTag, multiple: multiple, requeue: requeue)))
    }

    /// Asks the broker to redeliver every unacknowledged message on the channel (`basic.recover`).
    /// - Parameter requeue: Whether they go back to their queues (possibly to other consumers).
    /// - Throws: ``AMQPError``.
    public func recover(requeue: Bool = true) async throws {
        _ = try await self.call(.basic(.recover(requeue: requeue)))
    }

    private var acknowledger: AMQPAcknowledger { AMQPAcknowledger(channel: self.connection.channel, channelID: self.id) }
}

/// A consumer started by ``AMQPChannel/consume(queue:consumerTag:noAck:exclusive:arguments:)``: its tag and its
/// deliveries, as an `AsyncSequence`.
public struct AMQPConsumer: AsyncSequence, Sendable {
    public typealias Element = AMQPDelivery
    public typealias AsyncIterator = AsyncThrowingStream<AMQPDelivery, any Error>.Iterator

    /// The consumer's tag.
    public let consumerTag: String
    /// The channel it consumes on.
    public let channel: AMQPChannel
    let stream: AsyncThrowingStream<AMQPDelivery, any Error>

    /// Iterates the deliveries.
    public func makeAsyncIterator() -> AsyncIterator { self.stream.makeAsyncIterator() }

    /// Stops the consumer (`basic.cancel`).
    /// - Throws: ``AMQPError``.
    public func cancel() async throws {
        try await self.channel.cancel(consumerTag: self.consumerTag)
    }
}

/// A message fetched with ``AMQPChannel/get(queue:noAck:)``.
public struct AMQPGetResult: Sendable {
    /// The message, to acknowledge like a consumer's delivery.
    public var delivery: AMQPDelivery
    /// How many messages are left in the queue.
    public var messageCount: UInt32
}
