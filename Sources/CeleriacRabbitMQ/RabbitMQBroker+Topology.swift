import Celeriac
import CeleriacAMQP
import Logging
import Foundation

extension RabbitMQBroker {
    /// Declares Celery's entities for a queue (`kombu/entity.py:Queue.declare`): the exchange of the same name
    /// (``Configuration/exchangeType``), the queue (`x-queue-type: quorum` for a quorum queue, `x-max-priority`
    /// with ``Configuration/maxPriority``), the binding. For a quorum queue whose exchange is not `direct`, also
    /// the native delayed delivery levels (once per connection) and the queue's `#.<queue>` bindings, as Celery's
    /// `DelayedDelivery` worker bootstep does (a client does it too, so a countdown sent before any worker
    /// started is not lost).
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/invalidConfiguration``) for settings RabbitMQ would
    ///   refuse, ``AMQPError`` when RabbitMQ refuses a declaration.
    func declareTopology(_ queue: String, on channel: AMQPChannel) async throws {
        try configuration.validate()
        var arguments: AMQPTable = [:]
        if configuration.queueType(of: queue) == .quorum { arguments["x-queue-type"] = "quorum" }
        if let maxPriority = configuration.maxPriority {
            arguments["x-max-priority"] = .int32(Int32(clamping: maxPriority))
        }
        try await channel.declareExchange(queue, type: configuration.exchangeType, durable: true)
        try await channel.declareQueue(queue, durable: true, arguments: arguments)
        try await channel.bindQueue(queue, to: queue, routingKey: queue)
        if configuration.usesNativeDelayedDelivery(queue) {
            if !delayedDeliveryDeclared {
                try await NativeDelayedDelivery.declareTopology(on: channel, queueType: configuration.delayedDeliveryQueueType)
                delayedDeliveryDeclared = true
            }
            try await NativeDelayedDelivery.bindQueue(queue, exchange: queue, routingKey: queue, on: channel)
        } else if configuration.queueType(of: queue) == .quorum, configuration.nativeDelayedDelivery, !warnedDirectExchange {
            warnedDirectExchange = true
            logger.warning(
                "native delayed delivery needs a topic or fanout exchange, but the queue's exchange is direct; countdowns and ETAs are held by the worker until due",
                metadata: ["queue": "\(queue)"])
        }
        declared.insert(queue)
    }

    /// Where a message for `queue` is published: the default exchange with the queue name, or, for a countdown
    /// of at least a second on a queue with native delayed delivery, `celery_delayed_27` with the delay's binary
    /// routing key (Celery's `send_task`). The delay is counted from now to the `eta` header, as Celery does.
    func destination(for queue: String, properties: AMQPProperties, now: Date = Date()) -> (exchange: String, routingKey: String) {
        guard configuration.usesNativeDelayedDelivery(queue),
              let eta = properties.headers?["eta"]?.stringValue.flatMap(CeleryTimestamp.parse) else { return ("", queue) }
        // Celery truncates (`int(countdown)`), so a 3 s countdown sent 10 ms after its ETA was computed waits 2 s
        // and the worker holds it for the rest; rounding keeps the delay within half a second of the ETA.
        let countdown = eta.timeIntervalSince(now).rounded()
        guard countdown.isFinite, countdown >= 1, countdown < Double(1 << NativeDelayedDelivery.bits),
              let key = NativeDelayedDelivery.routingKey(countdown: Int(countdown), routingKey: queue) else { return ("", queue) }
        return (NativeDelayedDelivery.firstExchange, key)
    }

    /// Whether any of `queues` is a quorum queue, so the prefetch window must be per consumer
    /// (`worker_detect_quorum_queues`, `Tasks.qos_global`).
    func perConsumerPrefetch(_ queues: [String], connection: AMQPConnection) -> Bool {
        if !Self.isBefore4(connection) { return true }
        return configuration.detectQuorumQueues && queues.contains { configuration.queueType(of: $0) == .quorum }
    }
}
