import NIOCore

/// A message's content: its properties and body.
public struct AMQPMessage: Hashable, Sendable {
    /// The content properties.
    public var properties: AMQPProperties
    /// The body, reassembled from its body frames.
    public var body: ByteBuffer

    /// Creates a message.
    /// - Parameters:
    ///   - properties: The content properties.
    ///   - body: The body.
    public init(properties: AMQPProperties = .init(), body: ByteBuffer) {
        self.properties = properties
        self.body = body
    }
}

/// A message the broker delivered to a consumer (`basic.deliver`) or handed out on `basic.get`.
///
/// Unless consumed with `noAck`, acknowledge it with ``ack(multiple:)``, ``reject(requeue:)`` or
/// ``nack(multiple:requeue:)`` on the channel it came from. Delivery tags belong to that channel: after the channel
/// or connection closes, the broker requeues every unacknowledged message and redelivers it (with
/// ``redelivered`` set) under a new tag; acknowledging the old one then throws ``AMQPError/Code/channelClosed``.
public struct AMQPDelivery: Sendable {
    /// The consumer's tag (empty for `basic.get`).
    public var consumerTag: String
    /// The tag to acknowledge with, unique on its channel.
    public var deliveryTag: UInt64
    /// Whether the broker delivered this message before (to a consumer that didn't acknowledge it).
    public var redelivered: Bool
    /// The exchange it was published to.
    public var exchange: String
    /// The routing key it was published with.
    public var routingKey: String
    /// The content.
    public var message: AMQPMessage
    let acknowledger: AMQPAcknowledger

    /// The content properties.
    public var properties: AMQPProperties { self.message.properties }
    /// The body.
    public var body: ByteBuffer { self.message.body }

    /// Acknowledges the message (`basic.ack`).
    /// - Parameter multiple: Whether to acknowledge every earlier unacknowledged delivery on the channel too.
    /// - Throws: ``AMQPError/Code/channelClosed`` or ``AMQPError/Code/connectionClosed`` when its channel is gone.
    public func ack(multiple: Bool = false) async throws {
        try await self.acknowledger.send(.basic(.ack(deliveryTag: self.deliveryTag, multiple: multiple)))
    }

    /// Rejects the message (`basic.reject`).
    /// - Parameter requeue: Whether the broker puts it back in its queue; `false` drops or dead-letters it.
    /// - Throws: ``AMQPError/Code/channelClosed`` or ``AMQPError/Code/connectionClosed`` when its channel is gone.
    public func reject(requeue: Bool) async throws {
        try await self.acknowledger.send(.basic(.reject(deliveryTag: self.deliveryTag, requeue: requeue)))
    }

    /// Negatively acknowledges the message (`basic.nack`, a RabbitMQ extension).
    /// - Parameters:
    ///   - multiple: Whether earlier unacknowledged deliveries on the channel are included.
    ///   - requeue: Whether the broker puts them back in their queues.
    /// - Throws: ``AMQPError/Code/channelClosed`` or ``AMQPError/Code/connectionClosed`` when its channel is gone.
    public func nack(multiple: Bool = false, requeue: Bool) async throws {
        try await self.acknowledger.send(.basic(.nack(deliveryTag: self.deliveryTag, multiple: multiple, requeue: requeue)))
    }
}

/// Sends acknowledgements on the channel a delivery came from.
struct AMQPAcknowledger: Sendable {
    let channel: any Channel
    let channelID: UInt16

    func send(_ method: AMQPMethod) async throws {
        let promise = self.channel.eventLoop.makePromise(of: Void.self)
        self.channel.writeAndFlush(AMQPCommand.send(channel: self.channelID, method: method, promise: promise)).whenFailure { error in
            promise.fail(AMQPError(.connectionClosed, message: "the connection is closed", underlying: error))
        }
        try await promise.futureResult.get()
    }
}
