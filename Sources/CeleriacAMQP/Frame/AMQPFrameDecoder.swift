import NIOCore

/// Splits the broker's byte stream into ``AMQPFrame``s, enforcing the negotiated `frame_max` and the frame-end octet.
///
/// Any violation (an unknown frame type, a frame over the limit, a missing `0xCE`, a malformed method or header, a
/// broker answering the protocol header with its own version) throws an ``AMQPError`` with code
/// ``AMQPError/Code/protocolError``; the handler then closes the connection. The decoder never allocates more
/// than one frame's declared size, and it checks that size against the limit before waiting for the bytes.
public struct AMQPFrameDecoder: NIOSingleStepByteToMessageDecoder {
    /// The largest frame the decoder accepts, shared with its owner, which raises or lowers it after `connection.tune`.
    public final class Limit {
        /// The largest whole frame in bytes (`frame_max`, header and frame-end included).
        public var frameMax: UInt32

        /// Creates a limit.
        /// - Parameter frameMax: The largest whole frame in bytes.
        public init(frameMax: UInt32) { self.frameMax = frameMax }
    }

    public typealias InboundOut = AMQPFrame

    /// The limit this decoder checks.
    public let limit: Limit

    /// Creates a decoder.
    /// - Parameter limit: The frame size limit; before tuning, 131072 bytes (RabbitMQ's default) is a safe value.
    public init(limit: Limit = Limit(frameMax: 131_072)) {
        self.limit = limit
    }

    /// Decodes one frame if the buffer holds a whole one.
    public mutating func decode(buffer: inout ByteBuffer) throws -> AMQPFrame? {
        guard let type: UInt8 = buffer.getInteger(at: buffer.readerIndex) else { return nil }
        if type == UInt8(ascii: "A") {
            // A broker that can't speak 0-9-1 answers with its own protocol header and closes.
            guard let header = buffer.getBytes(at: buffer.readerIndex, length: 8) else { return nil }
            throw AMQPError.protocolError(
                "the broker rejected AMQP 0-9-1; it offers protocol \(header[5])-\(header[6])-\(header[7])"
            )
        }
        guard [1, 2, 3, 8].contains(type) else { throw AMQPError.protocolError("unknown frame type \(type)") }
        guard let channel: UInt16 = buffer.getInteger(at: buffer.readerIndex + 1),
            let size: UInt32 = buffer.getInteger(at: buffer.readerIndex + 3)
        else { return nil }
        let limit = self.limit.frameMax == 0 ? UInt32.max : self.limit.frameMax
        guard UInt64(size) + UInt64(AMQPFrame.overhead) <= UInt64(limit) else {
            throw AMQPError.protocolError("frame of \(size) bytes exceeds frame_max \(limit)")
        }
        guard buffer.readableBytes >= Int(size) + AMQPFrame.overhead else { return nil }
        buffer.moveReaderIndex(forwardBy: 7)
        guard var payload = buffer.readSlice(length: Int(size)), let end: UInt8 = buffer.readInteger() else { return nil }
        guard end == AMQPFrame.frameEnd else {
            throw AMQPError.protocolError("frame end octet is 0x\(String(end, radix: 16)), not 0xce")
        }
        switch type {
        case 1: return AMQPFrame(channel: channel, payload: .method(try AMQPMethod(from: &payload)))
        case 2: return AMQPFrame(channel: channel, payload: .header(try AMQPContentHeader(from: &payload)))
        case 3: return AMQPFrame(channel: channel, payload: .body(payload))
        default: return AMQPFrame(channel: channel, payload: .heartbeat)
        }
    }

    /// Decodes what is left at end of stream; a partial frame is dropped (the connection is gone anyway).
    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> AMQPFrame? {
        try self.decode(buffer: &buffer)
    }
}

@available(*, unavailable)
extension AMQPFrameDecoder: Sendable {}
