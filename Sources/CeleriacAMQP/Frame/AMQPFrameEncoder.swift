import NIOCore

/// Writes frames into one reused buffer; splits message bodies into body frames of at most `frame_max - 8` bytes.
public struct AMQPFrameEncoder {
    /// The bytes written so far since the last ``reset()``.
    public private(set) var buffer: ByteBuffer

    /// Creates an encoder.
    /// - Parameter allocator: Where the buffer comes from.
    public init(allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        self.buffer = allocator.buffer(capacity: 512)
    }

    /// Empties the buffer, keeping its storage when nothing else holds it.
    public mutating func reset() {
        self.buffer.clear()
    }

    /// Appends the protocol header `AMQP 0 0 9 1`.
    public mutating func encodeProtocolHeader() {
        self.buffer.writeBytes(AMQPFrame.protocolHeader)
    }

    /// Appends one frame.
    /// - Parameter frame: The frame.
    /// - Throws: ``AMQPError/Code/invalidArgument`` when a short string is over 255 bytes; nothing is appended then.
    public mutating func encode(_ frame: AMQPFrame) throws(AMQPError) {
        let start = self.buffer.writerIndex
        self.buffer.writeInteger(frame.type)
        self.buffer.writeInteger(frame.channel)
        let sizeIndex = self.buffer.writerIndex
        self.buffer.writeInteger(UInt32(0))
        do {
            switch frame.payload {
            case .method(let method): try method.encode(into: &self.buffer)
            case .header(let header): try header.encode(into: &self.buffer)
            case .body(let body): self.buffer.writeImmutableBuffer(body)
            case .heartbeat: break
            }
        } catch {
            self.buffer.moveWriterIndex(to: start)
            throw error
        }
        self.buffer.setInteger(UInt32(self.buffer.writerIndex - sizeIndex - 4), at: sizeIndex)
        self.buffer.writeInteger(AMQPFrame.frameEnd)
    }

    /// Appends a method with content: the method frame, the header frame and the body frames (none for an empty
    /// body), each body frame at most `frameMax - 8` bytes.
    /// - Parameters:
    ///   - method: The method (`basic.publish`).
    ///   - properties: The message properties.
    ///   - body: The message body.
    ///   - channel: The channel number.
    ///   - frameMax: The negotiated `frame_max`; 0 means no limit.
    /// - Throws: ``AMQPError/Code/invalidArgument`` when a short string is over 255 bytes; nothing is appended then.
    public mutating func encode(
        _ method: AMQPMethod,
        properties: AMQPProperties,
        body: ByteBuffer,
        channel: UInt16,
        frameMax: UInt32
    ) throws(AMQPError) {
        let start = self.buffer.writerIndex
        do {
            try self.encode(AMQPFrame(channel: channel, payload: .method(method)))
            let header = AMQPContentHeader(bodySize: UInt64(body.readableBytes), properties: properties)
            try self.encode(AMQPFrame(channel: channel, payload: .header(header)))
        } catch {
            self.buffer.moveWriterIndex(to: start)
            throw error
        }
        let chunk = frameMax == 0 ? Int(UInt32.max) : max(1, Int(frameMax) - AMQPFrame.overhead)
        var rest = body
        while rest.readableBytes > 0, let piece = rest.readSlice(length: min(chunk, rest.readableBytes)) {
            try self.encode(AMQPFrame(channel: channel, payload: .body(piece)))
        }
    }
}
