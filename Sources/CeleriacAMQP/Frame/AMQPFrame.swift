import NIOCore

/// One AMQP 0-9-1 frame: `type(u8) channel(u16) size(u32) payload 0xCE`.
public struct AMQPFrame: Hashable, Sendable {
    /// What a frame carries.
    public enum Payload: Hashable, Sendable {
        /// Type 1: a method.
        case method(AMQPMethod)
        /// Type 2: a content header: the message's body size and properties.
        case header(AMQPContentHeader)
        /// Type 3: a piece of a message body.
        case body(ByteBuffer)
        /// Type 8: a heartbeat (channel 0, empty).
        case heartbeat
    }

    /// The channel number; 0 for connection methods and heartbeats.
    public var channel: UInt16
    /// The payload.
    public var payload: Payload

    /// Creates a frame.
    /// - Parameters:
    ///   - channel: The channel number.
    ///   - payload: The payload.
    public init(channel: UInt16, payload: Payload) {
        self.channel = channel
        self.payload = payload
    }

    /// The frame type octet.
    public var type: UInt8 {
        switch self.payload {
        case .method: 1
        case .header: 2
        case .body: 3
        case .heartbeat: 8
        }
    }

    /// The bytes around a payload: 7 of header and 1 frame-end octet.
    public static let overhead = 8
    /// The octet that ends every frame.
    public static let frameEnd: UInt8 = 0xCE
    /// The protocol header a client sends first: `AMQP 0 0 9 1`.
    public static let protocolHeader: [UInt8] = [0x41, 0x4D, 0x51, 0x50, 0, 0, 9, 1]
}

/// A content header: the class (60, basic), the body's size, and the message properties.
public struct AMQPContentHeader: Hashable, Sendable {
    /// The class id; always 60 (basic) in practice.
    public var classID: UInt16
    /// The body size in bytes: the sum of the body frames that follow.
    public var bodySize: UInt64
    /// The message properties.
    public var properties: AMQPProperties

    /// Creates a content header.
    /// - Parameters:
    ///   - classID: The class id, 60 for basic.
    ///   - bodySize: The body size in bytes.
    ///   - properties: The message properties.
    public init(classID: UInt16 = 60, bodySize: UInt64, properties: AMQPProperties) {
        self.classID = classID
        self.bodySize = bodySize
        self.properties = properties
    }

    /// Decodes a header frame's payload.
    /// - Parameter buffer: The payload.
    /// - Throws: ``AMQPError/Code/protocolError`` when it is truncated or malformed.
    public init(from buffer: inout ByteBuffer) throws(AMQPError) {
        self.classID = try buffer.readAMQPInteger(UInt16.self, "content class")
        _ = try buffer.readAMQPInteger(UInt16.self, "content weight")
        self.bodySize = try buffer.readAMQPInteger(UInt64.self, "body size")
        self.properties = try buffer.readAMQPProperties()
    }

    /// Encodes the header frame's payload.
    /// - Parameter buffer: Where to write.
    /// - Throws: ``AMQPError/Code/invalidArgument`` when a short string property is over 255 bytes.
    public func encode(into buffer: inout ByteBuffer) throws(AMQPError) {
        buffer.writeInteger(self.classID)
        buffer.writeInteger(UInt16(0))
        buffer.writeInteger(self.bodySize)
        try buffer.writeAMQPProperties(self.properties)
    }
}
