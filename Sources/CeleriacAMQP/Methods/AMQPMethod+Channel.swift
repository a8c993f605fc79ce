import NIOCore

extension AMQPMethod {
    /// The `channel` class: open, flow control, close.
    public enum Channel: Hashable, Sendable {
        /// `channel.open`.
        case open
        /// `channel.open-ok`.
        case openOk
        /// `channel.flow`: pause (`false`) or resume (`true`) content on the channel.
        case flow(active: Bool)
        /// `channel.flow-ok`.
        case flowOk(active: Bool)
        /// `channel.close`: why, and which method caused it.
        case close(replyCode: UInt16, replyText: String, classID: UInt16, methodID: UInt16)
        /// `channel.close-ok`.
        case closeOk

        var methodID: UInt16 {
            switch self {
            case .open: 10
            case .openOk: 11
            case .flow: 20
            case .flowOk: 21
            case .close: 40
            case .closeOk: 41
            }
        }

        init(methodID: UInt16, from buffer: inout ByteBuffer) throws(AMQPError) {
            switch methodID {
            case 10:
                _ = try buffer.readAMQPShortString()
                self = .open
            case 11:
                _ = try buffer.readAMQPLongString()
                self = .openOk
            case 20: self = .flow(active: try buffer.readAMQPBits(1)[0])
            case 21: self = .flowOk(active: try buffer.readAMQPBits(1)[0])
            case 40:
                let code: UInt16 = try buffer.readAMQPInteger()
                let text = try buffer.readAMQPShortString()
                let classID: UInt16 = try buffer.readAMQPInteger()
                self = .close(replyCode: code, replyText: text, classID: classID, methodID: try buffer.readAMQPInteger())
            case 41: self = .closeOk
            default: throw AMQPMethod.unknown("channel", methodID)
            }
        }

        func encode(into buffer: inout ByteBuffer) throws(AMQPError) {
            switch self {
            case .open: try buffer.writeAMQPShortString("")
            case .openOk: buffer.writeAMQPLongString([UInt8]())
            case .flow(let active), .flowOk(let active): buffer.writeAMQPBits(active)
            case .close(let code, let text, let classID, let methodID):
                buffer.writeInteger(code)
                try buffer.writeAMQPShortString(text)
                buffer.writeInteger(classID)
                buffer.writeInteger(methodID)
            case .closeOk: break
            }
        }
    }
}
