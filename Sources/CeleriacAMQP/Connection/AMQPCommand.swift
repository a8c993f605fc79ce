import NIOCore

/// What the async API writes into the channel pipeline; ``AMQPChannelHandler`` turns each into frames and completes
/// its promise exactly once (with the reply, on confirm, or with an ``AMQPError``).
enum AMQPCommand: Sendable {
    /// Open a channel; the promise gets its number once `channel.open-ok` arrives.
    case openChannel(EventLoopPromise<UInt16>)
    /// A synchronous method: the promise gets the broker's reply (with the message for `basic.get-ok`).
    case call(channel: UInt16, method: AMQPMethod, promise: EventLoopPromise<AMQPReply>)
    /// A method without a reply (`basic.ack`, `basic.reject`, `basic.nack`); the promise completes once written.
    case send(channel: UInt16, method: AMQPMethod, promise: EventLoopPromise<Void>?)
    /// A method with content (`basic.publish`); the promise completes on the broker's confirm in confirm mode,
    /// else once written.
    case publish(channel: UInt16, method: AMQPMethod, properties: AMQPProperties, body: ByteBuffer, promise: EventLoopPromise<Void>)
    /// `basic.consume` with a consumer tag: deliveries for the tag go to `sink` from then on.
    case consume(
        channel: UInt16,
        method: AMQPMethod,
        consumerTag: String,
        sink: AsyncThrowingStream<AMQPDelivery, any Error>.Continuation,
        promise: EventLoopPromise<AMQPReply>
    )
    /// Close a channel (`channel.close` 200, wait for `close-ok`).
    case closeChannel(channel: UInt16, promise: EventLoopPromise<Void>)
    /// Close the connection (`connection.close` 200, wait for `close-ok`, close the socket).
    case closeConnection(EventLoopPromise<Void>)
}

/// A synchronous method's reply, and the message when the reply is `basic.get-ok`.
struct AMQPReply: Sendable {
    var method: AMQPMethod
    var message: AMQPMessage?
}

/// What the broker told the client outside any request.
public enum AMQPConnectionEvent: Hashable, Sendable {
    /// `connection.blocked`: the broker stopped reading from publishing connections (a memory or disk alarm).
    case blocked(reason: String)
    /// `connection.unblocked`.
    case unblocked
}

/// The limits the client and the broker agreed on, and what the broker said about itself.
public struct AMQPNegotiatedParameters: Hashable, Sendable {
    /// The highest channel number (0 = 65535).
    public var channelMax: UInt16
    /// The largest frame in bytes; message bodies are split into frames of `frameMax - 8` bytes.
    public var frameMax: UInt32
    /// The heartbeat interval in seconds (0 = off).
    public var heartbeat: UInt16
    /// The broker's `server_properties` (product, version, capabilities).
    public var serverProperties: AMQPTable
}
