import NIOCore

extension AMQPMethod {
    /// The `confirm` class (a RabbitMQ extension): publisher confirms.
    public enum Confirm: Hashable, Sendable {
        /// `confirm.select`: put the channel in confirm mode.
        case select(noWait: Bool)
        /// `confirm.select-ok`.
        case selectOk

        var methodID: UInt16 {
            switch self {
            case .select: 10
            case .selectOk: 11
            }
        }

        init(methodID: UInt16, from buffer: inout ByteBuffer) throws(AMQPError) {
            switch methodID {
            case 10: self = .select(noWait: try buffer.readAMQPBits(1)[0])
            case 11: self = .selectOk
            default: throw AMQPMethod.unknown("confirm", methodID)
            }
        }

        func encode(into buffer: inout ByteBuffer) {
            if case .select(let noWait) = self { buffer.writeAMQPBits(noWait) }
        }
    }
}
