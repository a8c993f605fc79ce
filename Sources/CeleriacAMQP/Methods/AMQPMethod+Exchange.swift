import NIOCore

extension AMQPMethod {
    /// The `exchange` class: declare, delete, and exchange-to-exchange bindings (a RabbitMQ extension).
    public enum Exchange: Hashable, Sendable {
        /// `exchange.declare`.
        case declare(
            exchange: String, type: String, passive: Bool, durable: Bool, autoDelete: Bool, internal: Bool, noWait: Bool,
            arguments: AMQPTable
        )
        /// `exchange.declare-ok`.
        case declareOk
        /// `exchange.delete`.
        case delete(exchange: String, ifUnused: Bool, noWait: Bool)
        /// `exchange.delete-ok`.
        case deleteOk
        /// `exchange.bind`: route messages from `source` to `destination`.
        case bind(destination: String, source: String, routingKey: String, noWait: Bool, arguments: AMQPTable)
        /// `exchange.bind-ok`.
        case bindOk
        /// `exchange.unbind`.
        case unbind(destination: String, source: String, routingKey: String, noWait: Bool, arguments: AMQPTable)
        /// `exchange.unbind-ok` (method id 51).
        case unbindOk

        var methodID: UInt16 {
            switch self {
            case .declare: 10
            case .declareOk: 11
            case .delete: 20
            case .deleteOk: 21
            case .bind: 30
            case .bindOk: 31
            case .unbind: 40
            case .unbindOk: 51
            }
        }

        init(methodID: UInt16, from buffer: inout ByteBuffer) throws(AMQPError) {
            switch methodID {
            case 10:
                _ = try buffer.readAMQPInteger(UInt16.self)
                let exchange = try buffer.readAMQPShortString()
                let type = try buffer.readAMQPShortString()
                let bits = try buffer.readAMQPBits(5)
                self = .declare(
                    exchange: exchange, type: type, passive: bits[0], durable: bits[1], autoDelete: bits[2], internal: bits[3],
                    noWait: bits[4], arguments: try buffer.readAMQPTable()
                )
            case 11: self = .declareOk
            case 20:
                _ = try buffer.readAMQPInteger(UInt16.self)
                let exchange = try buffer.readAMQPShortString()
                let bits = try buffer.readAMQPBits(2)
                self = .delete(exchange: exchange, ifUnused: bits[0], noWait: bits[1])
            case 21: self = .deleteOk
            case 30, 40:
                _ = try buffer.readAMQPInteger(UInt16.self)
                let destination = try buffer.readAMQPShortString()
                let source = try buffer.readAMQPShortString()
                let routingKey = try buffer.readAMQPShortString()
                let noWait = try buffer.readAMQPBits(1)[0]
                let arguments = try buffer.readAMQPTable()
                self = methodID == 30
                    ? .bind(destination: destination, source: source, routingKey: routingKey, noWait: noWait, arguments: arguments)
                    : .unbind(destination: destination, source: source, routingKey: routingKey, noWait: noWait, arguments: arguments)
            case 31: self = .bindOk
            case 51: self = .unbindOk
            default: throw AMQPMethod.unknown("exchange", methodID)
            }
        }

        func encode(into buffer: inout ByteBuffer) throws(AMQPError) {
            switch self {
            case .declare(let exchange, let type, let passive, let durable, let autoDelete, let isInternal, let noWait, let arguments):
                buffer.writeInteger(UInt16(0))
                try buffer.writeAMQPShortString(exchange)
                try buffer.writeAMQPShortString(type)
                buffer.writeAMQPBits(passive, durable, autoDelete, isInternal, noWait)
                try buffer.writeAMQPTable(arguments)
            case .delete(let exchange, let ifUnused, let noWait):
                buffer.writeInteger(UInt16(0))
                try buffer.writeAMQPShortString(exchange)
                buffer.writeAMQPBits(ifUnused, noWait)
            case .bind(let destination, let source, let routingKey, let noWait, let arguments),
                .unbind(let destination, let source, let routingKey, let noWait, let arguments):
                buffer.writeInteger(UInt16(0))
                try buffer.writeAMQPShortString(destination)
                try buffer.writeAMQPShortString(source)
                try buffer.writeAMQPShortString(routingKey)
                buffer.writeAMQPBits(noWait)
                try buffer.writeAMQPTable(arguments)
            case .declareOk, .deleteOk, .bindOk, .unbindOk:
                break
            }
        }
    }
}
