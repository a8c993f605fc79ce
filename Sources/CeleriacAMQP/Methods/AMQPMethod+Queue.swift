import NIOCore

extension AMQPMethod {
    /// The `queue` class: declare, bind, unbind, purge, delete.
    public enum Queue: Hashable, Sendable {
        /// `queue.declare` (an empty name asks the broker to name the queue).
        case declare(queue: String, passive: Bool, durable: Bool, exclusive: Bool, autoDelete: Bool, noWait: Bool, arguments: AMQPTable)
        /// `queue.declare-ok`: the queue's name and counts.
        case declareOk(queue: String, messageCount: UInt32, consumerCount: UInt32)
        /// `queue.bind`.
        case bind(queue: String, exchange: String, routingKey: String, noWait: Bool, arguments: AMQPTable)
        /// `queue.bind-ok`.
        case bindOk
        /// `queue.purge`.
        case purge(queue: String, noWait: Bool)
        /// `queue.purge-ok`: how many messages were removed.
        case purgeOk(messageCount: UInt32)
        /// `queue.delete`.
        case delete(queue: String, ifUnused: Bool, ifEmpty: Bool, noWait: Bool)
        /// `queue.delete-ok`: how many messages were deleted with the queue.
        case deleteOk(messageCount: UInt32)
        /// `queue.unbind` (it has no `no-wait`).
        case unbind(queue: String, exchange: String, routingKey: String, arguments: AMQPTable)
        /// `queue.unbind-ok`.
        case unbindOk

        var methodID: UInt16 {
            switch self {
            case .declare: 10
            case .declareOk: 11
            case .bind: 20
            case .bindOk: 21
            case .purge: 30
            case .purgeOk: 31
            case .delete: 40
            case .deleteOk: 41
            case .unbind: 50
            case .unbindOk: 51
            }
        }

        init(methodID: UInt16, from buffer: inout ByteBuffer) throws(AMQPError) {
            switch methodID {
            case 10:
                _ = try buffer.readAMQPInteger(UInt16.self)
                let queue = try buffer.readAMQPShortString()
                let bits = try buffer.readAMQPBits(5)
                self = .declare(
                    queue: queue, passive: bits[0], durable: bits[1], exclusive: bits[2], autoDelete: bits[3], noWait: bits[4],
                    arguments: try buffer.readAMQPTable()
                )
            case 11:
                let queue = try buffer.readAMQPShortString()
                let messages: UInt32 = try buffer.readAMQPInteger()
                self = .declareOk(queue: queue, messageCount: messages, consumerCount: try buffer.readAMQPInteger())
            case 20:
                _ = try buffer.readAMQPInteger(UInt16.self)
                let queue = try buffer.readAMQPShortString()
                let exchange = try buffer.readAMQPShortString()
                let routingKey = try buffer.readAMQPShortString()
                let noWait = try buffer.readAMQPBits(1)[0]
                self = .bind(queue: queue, exchange: exchange, routingKey: routingKey, noWait: noWait, arguments: try buffer.readAMQPTable())
            case 21: self = .bindOk
            case 30:
                _ = try buffer.readAMQPInteger(UInt16.self)
                let queue = try buffer.readAMQPShortString()
                self = .purge(queue: queue, noWait: try buffer.readAMQPBits(1)[0])
            case 31: self = .purgeOk(messageCount: try buffer.readAMQPInteger())
            case 40:
                _ = try buffer.readAMQPInteger(UInt16.self)
                let queue = try buffer.readAMQPShortString()
                let bits = try buffer.readAMQPBits(3)
                self = .delete(queue: queue, ifUnused: bits[0], ifEmpty: bits[1], noWait: bits[2])
            case 41: self = .deleteOk(messageCount: try buffer.readAMQPInteger())
            case 50:
                _ = try buffer.readAMQPInteger(UInt16.self)
                let queue = try buffer.readAMQPShortString()
                let exchange = try buffer.readAMQPShortString()
                let routingKey = try buffer.readAMQPShortString()
                self = .unbind(queue: queue, exchange: exchange, routingKey: routingKey, arguments: try buffer.readAMQPTable())
            case 51: self = .unbindOk
            default: throw AMQPMethod.unknown("queue", methodID)
            }
        }

        func encode(into buffer: inout ByteBuffer) throws(AMQPError) {
            switch self {
            case .declare(let queue, let passive, let durable, let exclusive, let autoDelete, let noWait, let arguments):
                buffer.writeInteger(UInt16(0))
                try buffer.writeAMQPShortString(queue)
                buffer.writeAMQPBits(passive, durable, exclusive, autoDelete, noWait)
                try buffer.writeAMQPTable(arguments)
            case .declareOk(let queue, let messageCount, let consumerCount):
                try buffer.writeAMQPShortString(queue)
                buffer.writeInteger(messageCount)
                buffer.writeInteger(consumerCount)
            case .bind(let queue, let exchange, let routingKey, let noWait, let arguments):
                buffer.writeInteger(UInt16(0))
                try buffer.writeAMQPShortString(queue)
                try buffer.writeAMQPShortString(exchange)
                try buffer.writeAMQPShortString(routingKey)
                buffer.writeAMQPBits(noWait)
                try buffer.writeAMQPTable(arguments)
            case .purge(let queue, let noWait):
                buffer.writeInteger(UInt16(0))
                try buffer.writeAMQPShortString(queue)
                buffer.writeAMQPBits(noWait)
            case .purgeOk(let count), .deleteOk(let count):
                buffer.writeInteger(count)
            case .delete(let queue, let ifUnused, let ifEmpty, let noWait):
                buffer.writeInteger(UInt16(0))
                try buffer.writeAMQPShortString(queue)
                buffer.writeAMQPBits(ifUnused, ifEmpty, noWait)
            case .unbind(let queue, let exchange, let routingKey, let arguments):
                buffer.writeInteger(UInt16(0))
                try buffer.writeAMQPShortString(queue)
                try buffer.writeAMQPShortString(exchange)
                try buffer.writeAMQPShortString(routingKey)
                try buffer.writeAMQPTable(arguments)
            case .bindOk, .unbindOk:
                break
            }
        }
    }
}
