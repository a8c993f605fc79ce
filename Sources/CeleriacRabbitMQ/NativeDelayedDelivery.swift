import Celeriac
import CeleriacAMQP

/// RabbitMQ's native delayed delivery as kombu 5.5+ builds it (`kombu/transport/native_delayed_delivery.py`).
///
/// 28 levels `celery_delayed_27` … `celery_delayed_0`: level N is a topic exchange and a queue of the same name
/// whose messages expire after 2^N seconds and are dead-lettered to level N-1 (level 0 to the topic exchange
/// `celery_delayed_delivery`). A delayed message is published to `celery_delayed_27` with a routing key of the
/// delay's 28 binary digits joined by dots, then the queue's own routing key: at each level a `1` bit routes it
/// into that level's queue (waiting 2^N s), a `0` bit routes it on to the next exchange. From
/// `celery_delayed_delivery` the `#.<routing key>` binding takes it to the queue's exchange, and from there to
/// the queue.
public enum NativeDelayedDelivery {
    /// The number of delay bits (kombu's `MAX_NUMBER_OF_BITS_TO_USE`): delays up to 2^28 - 1 s (8.5 years).
    public static let bits = 28
    /// The exchange delayed messages are published to.
    public static let firstExchange = levelName(bits - 1)
    /// The exchange a message reaches once its delay passed (`CELERY_DELAYED_DELIVERY_EXCHANGE`).
    public static let deliveryExchange = "celery_delayed_delivery"

    /// `celery_delayed_<level>`.
    public static func levelName(_ level: Int) -> String { "celery_delayed_\(level)" }

    /// The routing key for a message delayed by `countdown` whole seconds to a queue bound with `routingKey`
    /// (`calculate_routing_key`), e.g. `0.0.….0.1.1.celery` for 3 s. A delay prefix the key already carries (a
    /// retried message) is replaced, as kombu does.
    /// - Returns: `nil` for a countdown below 1 s or of 2^28 s or more (deliver at once and let the worker hold
    ///   it, where kombu would raise or write a longer key).
    public static func routingKey(countdown: Int, routingKey: String) -> String? {
        guard countdown >= 1, countdown < 1 << bits, !routingKey.isEmpty else { return nil }
        var digits: [String] = []
        digits.reserveCapacity(bits + 1)
        for bit in stride(from: bits - 1, through: 0, by: -1) { digits.append((countdown >> bit) & 1 == 1 ? "1" : "0") }
        digits.append(stripDelayPrefix(routingKey))
        return digits.joined(separator: ".")
    }

    /// `routingKey` without a leading `[01].` × 28 delay prefix.
    static func stripDelayPrefix(_ routingKey: String) -> String {
        let parts = routingKey.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count > bits, parts.prefix(bits).allSatisfy({ $0 == "0" || $0 == "1" }) else { return routingKey }
        return parts.dropFirst(bits).joined(separator: ".")
    }

    /// The arguments of the level-`level` queue (`x-message-ttl` is an `I` up to 2^31-1 ms, else `L`, as
    /// py-amqp writes it).
    public static func queueArguments(level: Int, queueType: RabbitMQBroker.QueueType) -> AMQPTable {
        var arguments: AMQPTable = [
            "x-queue-type": .string(queueType.rawValue),
            "x-overflow": "reject-publish",
            "x-message-ttl": AMQPFieldValue(json: .int((1 << level) * 1000)),
            "x-dead-letter-exchange": .string(level > 0 ? levelName(level - 1) : deliveryExchange),
        ]
        if queueType == .quorum { arguments["x-dead-letter-strategy"] = "at-least-once" }
        return arguments
    }

    /// Declares the 28 levels, their bindings and the delivery exchange
    /// (`declare_native_delayed_delivery_exchanges_and_queues`), in kombu's order.
    /// - Throws: ``AMQPError`` when RabbitMQ refuses a declaration.
    public static func declareTopology(on channel: AMQPChannel, queueType: RabbitMQBroker.QueueType) async throws {
        var routingKey = "1.#"
        for level in stride(from: bits - 1, through: 0, by: -1) {
            let name = levelName(level)
            try await channel.declareExchange(name, type: "topic", durable: true)
            try await channel.declareQueue(name, durable: true, arguments: queueArguments(level: level, queueType: queueType))
            try await channel.bindQueue(name, to: name, routingKey: routingKey)
            routingKey = "*." + routingKey
        }
        routingKey = "0.#"
        for level in stride(from: bits - 1, through: 1, by: -1) {
            try await channel.bindExchange(levelName(level - 1), to: levelName(level), routingKey: routingKey)
            routingKey = "*." + routingKey
        }
        try await channel.declareExchange(deliveryExchange, type: "topic", durable: true)
        try await channel.bindExchange(deliveryExchange, to: levelName(0), routingKey: routingKey)
    }

    /// Binds a queue (and its exchange) to the delivery exchange
    /// (`bind_queue_to_native_delayed_delivery_exchange`): exchange → `celery_delayed_delivery` and queue →
    /// exchange, both with `#.<routing key>`.
    /// - Throws: ``AMQPError``.
    public static func bindQueue(_ queue: String, exchange: String, routingKey: String, on channel: AMQPChannel) async throws {
        let key = routingKey.hasPrefix("#") ? routingKey : "#.\(routingKey)"
        try await channel.bindExchange(exchange, to: deliveryExchange, routingKey: key)
        try await channel.bindQueue(queue, to: exchange, routingKey: key)
    }
}
