import NIOCore

/// The `basic` class content properties of a message (its content header), each present only when set.
///
/// Celery sets `content_type`, `content_encoding`, `headers`, `delivery_mode`, `priority`, `correlation_id`,
/// `reply_to` and sometimes `expiration`. A property is sent iff it is not `nil`, so `priority: 0` is sent, as
/// py-amqp does.
public struct AMQPProperties: Hashable, Sendable {
    /// MIME content type, such as `application/json`.
    public var contentType: String?
    /// Content encoding, such as `utf-8`.
    public var contentEncoding: String?
    /// Application headers (Celery's task protocol v2 headers).
    public var headers: AMQPTable?
    /// 1 = transient, 2 = persistent.
    public var deliveryMode: UInt8?
    /// Message priority, 0 to 9 (255 on the wire).
    public var priority: UInt8?
    /// Application correlation id (Celery: the task id).
    public var correlationID: String?
    /// The queue to reply to.
    public var replyTo: String?
    /// Per-message TTL in milliseconds, as a decimal string.
    public var expiration: String?
    /// Application message id.
    public var messageID: String?
    /// Message timestamp, seconds since 1970.
    public var timestamp: UInt64?
    /// Message type name.
    public var type: String?
    /// Creating user id (checked by RabbitMQ).
    public var userID: String?
    /// Creating application id.
    public var appID: String?
    /// Reserved; must be empty.
    public var clusterID: String?

    /// Properties with the given values.
    public init(
        contentType: String? = nil,
        contentEncoding: String? = nil,
        headers: AMQPTable? = nil,
        deliveryMode: UInt8? = nil,
        priority: UInt8? = nil,
        correlationID: String? = nil,
        replyTo: String? = nil,
        expiration: String? = nil,
        messageID: String? = nil,
        timestamp: UInt64? = nil,
        type: String? = nil,
        userID: String? = nil,
        appID: String? = nil,
        clusterID: String? = nil
    ) {
        self.contentType = contentType
        self.contentEncoding = contentEncoding
        self.headers = headers
        self.deliveryMode = deliveryMode
        self.priority = priority
        self.correlationID = correlationID
        self.replyTo = replyTo
        self.expiration = expiration
        self.messageID = messageID
        self.timestamp = timestamp
        self.type = type
        self.userID = userID
        self.appID = appID
        self.clusterID = clusterID
    }

    /// The property flags: bit 15 for `content_type` down to bit 2 for `cluster_id`.
    public var flags: UInt16 {
        var flags: UInt16 = 0
        let present: [Bool] = [
            self.contentType != nil, self.contentEncoding != nil, self.headers != nil, self.deliveryMode != nil,
            self.priority != nil, self.correlationID != nil, self.replyTo != nil, self.expiration != nil,
            self.messageID != nil, self.timestamp != nil, self.type != nil, self.userID != nil, self.appID != nil,
            self.clusterID != nil,
        ]
        for (index, isPresent) in present.enumerated() where isPresent { flags |= 1 << (15 - index) }
        return flags
    }
}

extension ByteBuffer {
    /// Reads property flags and the properties they announce.
    mutating func readAMQPProperties() throws(AMQPError) -> AMQPProperties {
        var flags: UInt16 = try self.readAMQPInteger(UInt16.self, "property flags")
        // Bit 0 announces another flags word; basic has only 14 properties, so further words must be empty.
        var more = flags & 1 != 0
        while more {
            let next: UInt16 = try self.readAMQPInteger(UInt16.self, "property flags")
            guard next & 0xFFFE == 0 else { throw .protocolError("unknown content properties 0x\(String(next, radix: 16))") }
            more = next & 1 != 0
        }
        flags &= 0xFFFE
        guard flags & 0b10 == 0 else { throw .protocolError("unknown content property flag bit 1") }
        func has(_ bit: Int) -> Bool { flags & (1 << bit) != 0 }
        var properties = AMQPProperties()
        if has(15) { properties.contentType = try self.readAMQPShortString() }
        if has(14) { properties.contentEncoding = try self.readAMQPShortString() }
        if has(13) { properties.headers = try self.readAMQPTable() }
        if has(12) { properties.deliveryMode = try self.readAMQPInteger() }
        if has(11) { properties.priority = try self.readAMQPInteger() }
        if has(10) { properties.correlationID = try self.readAMQPShortString() }
        if has(9) { properties.replyTo = try self.readAMQPShortString() }
        if has(8) { properties.expiration = try self.readAMQPShortString() }
        if has(7) { properties.messageID = try self.readAMQPShortString() }
        if has(6) { properties.timestamp = try self.readAMQPInteger() }
        if has(5) { properties.type = try self.readAMQPShortString() }
        if has(4) { properties.userID = try self.readAMQPShortString() }
        if has(3) { properties.appID = try self.readAMQPShortString() }
        if has(2) { properties.clusterID = try self.readAMQPShortString() }
        return properties
    }

    /// Writes property flags and the present properties in flag order.
    mutating func writeAMQPProperties(_ properties: AMQPProperties) throws(AMQPError) {
        self.writeInteger(properties.flags)
        if let v = properties.contentType { try self.writeAMQPShortString(v) }
        if let v = properties.contentEncoding { try self.writeAMQPShortString(v) }
        if let v = properties.headers { try self.writeAMQPTable(v) }
        if let v = properties.deliveryMode { self.writeInteger(v) }
        if let v = properties.priority { self.writeInteger(v) }
        if let v = properties.correlationID { try self.writeAMQPShortString(v) }
        if let v = properties.replyTo { try self.writeAMQPShortString(v) }
        if let v = properties.expiration { try self.writeAMQPShortString(v) }
        if let v = properties.messageID { try self.writeAMQPShortString(v) }
        if let v = properties.timestamp { self.writeInteger(v) }
        if let v = properties.type { try self.writeAMQPShortString(v) }
        if let v = properties.userID { try self.writeAMQPShortString(v) }
        if let v = properties.appID { try self.writeAMQPShortString(v) }
        if let v = properties.clusterID { try self.writeAMQPShortString(v) }
    }
}
