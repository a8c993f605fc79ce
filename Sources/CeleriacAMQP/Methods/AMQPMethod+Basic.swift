import NIOCore

extension AMQPMethod {
    /// The `basic` class: qos, consume, publish, deliver, get, acknowledgements (with RabbitMQ's `nack`).
    public enum Basic: Hashable, Sendable {
        /// `basic.qos`: prefetch window in bytes (0 = none) and messages; `global` applies it per connection in
        /// 0-9-1, per channel in RabbitMQ.
        case qos(prefetchSize: UInt32, prefetchCount: UInt16, global: Bool)
        /// `basic.qos-ok`.
        case qosOk
        /// `basic.consume` (an empty tag asks the broker to make one).
        case consume(queue: String, consumerTag: String, noLocal: Bool, noAck: Bool, exclusive: Bool, noWait: Bool, arguments: AMQPTable)
        /// `basic.consume-ok`.
        case consumeOk(consumerTag: String)
        /// `basic.cancel` (from the client, or from RabbitMQ when a consumed queue goes away).
        case cancel(consumerTag: String, noWait: Bool)
        /// `basic.cancel-ok`.
        case cancelOk(consumerTag: String)
        /// `basic.publish`; content follows.
        case publish(exchange: String, routingKey: String, mandatory: Bool, immediate: Bool)
        /// `basic.return`: an unroutable mandatory message comes back; content follows.
        case `return`(replyCode: UInt16, replyText: String, exchange: String, routingKey: String)
        /// `basic.deliver`: a message for a consumer; content follows.
        case deliver(consumerTag: String, deliveryTag: UInt64, redelivered: Bool, exchange: String, routingKey: String)
        /// `basic.get`.
        case get(queue: String, noAck: Bool)
        /// `basic.get-ok`; content follows.
        case getOk(deliveryTag: UInt64, redelivered: Bool, exchange: String, routingKey: String, messageCount: UInt32)
        /// `basic.get-empty`.
        case getEmpty
        /// `basic.ack` (from the client for deliveries, from the broker for confirms).
        case ack(deliveryTag: UInt64, multiple: Bool)
        /// `basic.reject`.
        case reject(deliveryTag: UInt64, requeue: Bool)
        /// `basic.recover-async` (deprecated).
        case recoverAsync(requeue: Bool)
        /// `basic.recover`: redeliver unacknowledged messages.
        case recover(requeue: Bool)
        /// `basic.recover-ok`.
        case recoverOk
        /// `basic.nack` (RabbitMQ extension; from the broker it rejects a publish in confirm mode).
        case nack(deliveryTag: UInt64, multiple: Bool, requeue: Bool)

        var methodID: UInt16 {
            switch self {
            case .qos: 10
            case .qosOk: 11
            case .consume: 20
            case .consumeOk: 21
            case .cancel: 30
            case .cancelOk: 31
            case .publish: 40
            case .return: 50
            case .deliver: 60
            case .get: 70
            case .getOk: 71
            case .getEmpty: 72
            case .ack: 80
            case .reject: 90
            case .recoverAsync: 100
            case .recover: 110
            case .recoverOk: 111
            case .nack: 120
            }
        }

        init(methodID: UInt16, from buffer: inout ByteBuffer) throws(AMQPError) {
            switch methodID {
            case 10:
                let size: UInt32 = try buffer.readAMQPInteger()
                let count: UInt16 = try buffer.readAMQPInteger()
                self = .qos(prefetchSize: size, prefetchCount: count, global: try buffer.readAMQPBits(1)[0])
            case 11: self = .qosOk
            case 20:
                _ = try buffer.readAMQPInteger(UInt16.self)
                let queue = try buffer.readAMQPShortString()
                let tag = try buffer.readAMQPShortString()
                let bits = try buffer.readAMQPBits(4)
                self = .consume(
                    queue: queue, consumerTag: tag, noLocal: bits[0], noAck: bits[1], exclusive: bits[2], noWait: bits[3],
                    arguments: try buffer.readAMQPTable()
                )
            case 21: self = .consumeOk(consumerTag: try buffer.readAMQPShortString())
            case 30:
                let tag = try buffer.readAMQPShortString()
                self = .cancel(consumerTag: tag, noWait: try buffer.readAMQPBits(1)[0])
            case 31: self = .cancelOk(consumerTag: try buffer.readAMQPShortString())
            case 40:
                _ = try buffer.readAMQPInteger(UInt16.self)
                let exchange = try buffer.readAMQPShortString()
                let routingKey = try buffer.readAMQPShortString()
                let bits = try buffer.readAMQPBits(2)
                self = .publish(exchange: exchange, routingKey: routingKey, mandatory: bits[0], immediate: bits[1])
            case 50:
                let code: UInt16 = try buffer.readAMQPInteger()
                let text = try buffer.readAMQPShortString()
                let exchange = try buffer.readAMQPShortString()
                self = .return(replyCode: code, replyText: text, exchange: exchange, routingKey: try buffer.readAMQPShortString())
            case 60:
                let tag = try buffer.readAMQPShortString()
                let deliveryTag: UInt64 = try buffer.readAMQPInteger()
                let redelivered = try buffer.readAMQPBits(1)[0]
                let exchange = try buffer.readAMQPShortString()
                self = .deliver(
                    consumerTag: tag, deliveryTag: deliveryTag, redelivered: redelivered, exchange: exchange,
                    routingKey: try buffer.readAMQPShortString()
                )
            case 70:
                _ = try buffer.readAMQPInteger(UInt16.self)
                let queue = try buffer.readAMQPShortString()
                self = .get(queue: queue, noAck: try buffer.readAMQPBits(1)[0])
            case 71:
                let deliveryTag: UInt64 = try buffer.readAMQPInteger()
                let redelivered = try buffer.readAMQPBits(1)[0]
                let exchange = try buffer.readAMQPShortString()
                let routingKey = try buffer.readAMQPShortString()
                self = .getOk(
                    deliveryTag: deliveryTag, redelivered: redelivered, exchange: exchange, routingKey: routingKey,
                    messageCount: try buffer.readAMQPInteger()
                )
            case 72:
                _ = try buffer.readAMQPShortString()
                self = .getEmpty
            case 80:
                let tag: UInt64 = try buffer.readAMQPInteger()
                self = .ack(deliveryTag: tag, multiple: try buffer.readAMQPBits(1)[0])
            case 90:
                let tag: UInt64 = try buffer.readAMQPInteger()
                self = .reject(deliveryTag: tag, requeue: try buffer.readAMQPBits(1)[0])
            case 100: self = .recoverAsync(requeue: try buffer.readAMQPBits(1)[0])
            case 110: self = .recover(requeue: try buffer.readAMQPBits(1)[0])
            case 111: self = .recoverOk
            case 120:
                let tag: UInt64 = try buffer.readAMQPInteger()
                let bits = try buffer.readAMQPBits(2)
                self = .nack(deliveryTag: tag, multiple: bits[0], requeue: bits[1])
            default: throw AMQPMethod.unknown("basic", methodID)
            }
        }

        func encode(into buffer: inout ByteBuffer) throws(AMQPError) {
            switch self {
            case .qos(let size, let count, let global):
                buffer.writeInteger(size)
                buffer.writeInteger(count)
                buffer.writeAMQPBits(global)
            case .consume(let queue, let tag, let noLocal, let noAck, let exclusive, let noWait, let arguments):
                buffer.writeInteger(UInt16(0))
                try buffer.writeAMQPShortString(queue)
                try buffer.writeAMQPShortString(tag)
                buffer.writeAMQPBits(noLocal, noAck, exclusive, noWait)
                try buffer.writeAMQPTable(arguments)
            case .consumeOk(let tag), .cancelOk(let tag):
                try buffer.writeAMQPShortString(tag)
            case .cancel(let tag, let noWait):
                try buffer.writeAMQPShortString(tag)
                buffer.writeAMQPBits(noWait)
            case .publish(let exchange, let routingKey, let mandatory, let immediate):
                buffer.writeInteger(UInt16(0))
                try buffer.writeAMQPShortString(exchange)
                try buffer.writeAMQPShortString(routingKey)
                buffer.writeAMQPBits(mandatory, immediate)
            case .return(let code, let text, let exchange, let routingKey):
                buffer.writeInteger(code)
                try buffer.writeAMQPShortString(text)
                try buffer.writeAMQPShortString(exchange)
                try buffer.writeAMQPShortString(routingKey)
            case .deliver(let tag, let deliveryTag, let redelivered, let exchange, let routingKey):
                try buffer.writeAMQPShortString(tag)
                buffer.writeInteger(deliveryTag)
                buffer.writeAMQPBits(redelivered)
                try buffer.writeAMQPShortString(exchange)
                try buffer.writeAMQPShortString(routingKey)
            case .get(let queue, let noAck):
                buffer.writeInteger(UInt16(0))
                try buffer.writeAMQPShortString(queue)
                buffer.writeAMQPBits(noAck)
            case .getOk(let deliveryTag, let redelivered, let exchange, let routingKey, let messageCount):
                buffer.writeInteger(deliveryTag)
                buffer.writeAMQPBits(redelivered)
                try buffer.writeAMQPShortString(exchange)
                try buffer.writeAMQPShortString(routingKey)
                buffer.writeInteger(messageCount)
            case .getEmpty:
                try buffer.writeAMQPShortString("")
            case .ack(let tag, let multiple):
                buffer.writeInteger(tag)
                buffer.writeAMQPBits(multiple)
            case .reject(let tag, let requeue):
                buffer.writeInteger(tag)
                buffer.writeAMQPBits(requeue)
            case .recoverAsync(let requeue), .recover(let requeue):
                buffer.writeAMQPBits(requeue)
            case .nack(let tag, let multiple, let requeue):
                buffer.writeInteger(tag)
                buffer.writeAMQPBits(multiple, requeue)
            case .qosOk, .recoverOk:
                break
            }
        }
    }
}
