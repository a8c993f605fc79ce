import NIOCore

/// An AMQP 0-9-1 method frame's payload: the class, the method and its arguments.
///
/// One nested enum per AMQP class holds the methods Celery and RabbitMQ use; reserved arguments (`ticket`,
/// `reserved-1`, ...) are not modelled and are written as zero or empty, as every client does.
public enum AMQPMethod: Hashable, Sendable {
    /// A `connection` method (class 10, channel 0 only).
    case connection(Connection)
    /// A `channel` method (class 20).
    case channel(Channel)
    /// An `exchange` method (class 40).
    case exchange(Exchange)
    /// A `queue` method (class 50).
    case queue(Queue)
    /// A `basic` method (class 60).
    case basic(Basic)
    /// A `confirm` method (class 85).
    case confirm(Confirm)

    /// The class id.
    public var classID: UInt16 {
        switch self {
        case .connection: 10
        case .channel: 20
        case .exchange: 40
        case .queue: 50
        case .basic: 60
        case .confirm: 85
        }
    }

    /// The method id within its class.
    public var methodID: UInt16 {
        switch self {
        case .connection(let m): m.methodID
        case .channel(let m): m.methodID
        case .exchange(let m): m.methodID
        case .queue(let m): m.methodID
        case .basic(let m): m.methodID
        case .confirm(let m): m.methodID
        }
    }

    /// Whether a message's content (a header frame and body frames) follows this method.
    public var hasContent: Bool {
        switch self {
        case .basic(.publish), .basic(.deliver), .basic(.getOk), .basic(.return): true
        default: false
        }
    }

    /// The method's name as in the spec, such as `basic.consume-ok`.
    public var name: String {
        let className: String
        switch self {
        case .connection: className = "connection"
        case .channel: className = "channel"
        case .exchange: className = "exchange"
        case .queue: className = "queue"
        case .basic: className = "basic"
        case .confirm: className = "confirm"
        }
        return "\(className).\(Self.methodName(classID: self.classID, methodID: self.methodID))"
    }

    /// Decodes a method frame's payload.
    /// - Parameter buffer: The payload; the bytes of the method are consumed.
    /// - Throws: ``AMQPError/Code/protocolError`` for an unknown method or truncated arguments.
    public init(from buffer: inout ByteBuffer) throws(AMQPError) {
        let classID: UInt16 = try buffer.readAMQPInteger(UInt16.self, "class id")
        let methodID: UInt16 = try buffer.readAMQPInteger(UInt16.self, "method id")
        switch classID {
        case 10: self = .connection(try Connection(methodID: methodID, from: &buffer))
        case 20: self = .channel(try Channel(methodID: methodID, from: &buffer))
        case 40: self = .exchange(try Exchange(methodID: methodID, from: &buffer))
        case 50: self = .queue(try Queue(methodID: methodID, from: &buffer))
        case 60: self = .basic(try Basic(methodID: methodID, from: &buffer))
        case 85: self = .confirm(try Confirm(methodID: methodID, from: &buffer))
        default: throw .protocolError("unknown method class \(classID) (method \(methodID))")
        }
    }

    /// Encodes the method: class id, method id, arguments.
    /// - Parameter buffer: Where to write.
    /// - Throws: ``AMQPError/Code/invalidArgument`` when a short string is over 255 bytes.
    public func encode(into buffer: inout ByteBuffer) throws(AMQPError) {
        buffer.writeInteger(self.classID)
        buffer.writeInteger(self.methodID)
        switch self {
        case .connection(let m): try m.encode(into: &buffer)
        case .channel(let m): try m.encode(into: &buffer)
        case .exchange(let m): try m.encode(into: &buffer)
        case .queue(let m): try m.encode(into: &buffer)
        case .basic(let m): try m.encode(into: &buffer)
        case .confirm(let m): m.encode(into: &buffer)
        }
    }

    static func unknown(_ className: String, _ methodID: UInt16) -> AMQPError {
        .protocolError("unknown method \(className) \(methodID)")
    }

    private static let names: [UInt16: [UInt16: String]] = [
        10: [10: "start", 11: "start-ok", 20: "secure", 21: "secure-ok", 30: "tune", 31: "tune-ok", 40: "open",
             41: "open-ok", 50: "close", 51: "close-ok", 60: "blocked", 61: "unblocked"],
        20: [10: "open", 11: "open-ok", 20: "flow", 21: "flow-ok", 40: "close", 41: "close-ok"],
        40: [10: "declare", 11: "declare-ok", 20: "delete", 21: "delete-ok", 30: "bind", 31: "bind-ok", 40: "unbind",
             51: "unbind-ok"],
        50: [10: "declare", 11: "declare-ok", 20: "bind", 21: "bind-ok", 30: "purge", 31: "purge-ok", 40: "delete",
             41: "delete-ok", 50: "unbind", 51: "unbind-ok"],
        60: [10: "qos", 11: "qos-ok", 20: "consume", 21: "consume-ok", 30: "cancel", 31: "cancel-ok", 40: "publish",
             50: "return", 60: "deliver", 70: "get", 71: "get-ok", 72: "get-empty", 80: "ack", 90: "reject",
             100: "recover-async", 110: "recover", 111: "recover-ok", 120: "nack"],
        85: [10: "select", 11: "select-ok"],
    ]

    static func methodName(classID: UInt16, methodID: UInt16) -> String {
        names[classID]?[methodID] ?? "\(methodID)"
    }
}
