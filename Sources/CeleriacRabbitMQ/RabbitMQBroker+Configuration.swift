import Celeriac
import Logging

extension RabbitMQBroker {
    /// Settings of a ``RabbitMQBroker``; every property has Celery's default.
    ///
    /// ```swift
    /// var configuration = RabbitMQBroker.Configuration()
    /// configuration.maxPriority = 10          // task_queue_max_priority: queues get x-max-priority 10
    /// configuration.queueType = .quorum       // task_default_queue_type = 'quorum'
    /// configuration.exchangeType = "topic"    // task_default_exchange_type: countdowns use native delayed delivery
    /// let broker = try RabbitMQBroker(url: "amqp://guest:guest@localhost:5672//", configuration: configuration)
    /// ```
    public struct Configuration: Sendable {
        /// Celery's `task_queue_max_priority`: when set, queues are declared with `x-max-priority` (an `I`
        /// integer, as kombu sends it); `nil` (the default) declares them without arguments. A queue that
        /// already exists with other arguments makes RabbitMQ refuse the declaration (`406 PRECONDITION_FAILED`).
        /// Quorum queues have no priorities: setting both is refused by ``validate()``.
        public var maxPriority: Int?
        /// Whether publishes wait for RabbitMQ's publisher confirm (`confirm.select`), so a returned publish is
        /// stored by the broker. On by default (Celery's `confirm_publish` transport option, off in Celery).
        public var publisherConfirms: Bool
        /// Celery's `task_default_queue_type`: the type queues are declared with (`classic`, the default, or
        /// `quorum`, which adds `x-queue-type: quorum`).
        public var queueType: QueueType
        /// Per-queue types that win over ``queueType`` (Celery's `x-queue-type` in a `task_queues` entry's
        /// `queue_arguments`).
        public var queueTypes: [String: QueueType]
        /// Celery's `task_default_exchange_type`: the type of the exchange named like each queue (`direct` by
        /// default; `topic` or `fanout` let countdowns on quorum queues use native delayed delivery).
        public var exchangeType: String
        /// Whether countdowns and ETAs for quorum queues go through RabbitMQ's native delayed delivery
        /// (`celery_delayed_27`…`celery_delayed_0`, Celery 5.5+), when the queue's exchange is not `direct`.
        /// On by default, as in Celery; off, the worker holds such messages until they are due.
        public var nativeDelayedDelivery: Bool
        /// Celery's `broker_native_delayed_delivery_queue_type`: the type of the `celery_delayed_N` queues
        /// (`quorum` by default).
        public var delayedDeliveryQueueType: QueueType
        /// Celery's `worker_detect_quorum_queues`: when a consumed queue is a quorum queue, the prefetch window is
        /// per consumer (`basic.qos global=false`, quorum queues refuse global QoS) and static. On by default.
        public var detectQuorumQueues: Bool
        /// Where the broker logs (consumer failures, stale acknowledgements). Logs nothing by default.
        public var logger: Logger

        /// Creates a configuration.
        /// - Parameters:
        ///   - maxPriority: `task_queue_max_priority`, or `nil` for none.
        ///   - publisherConfirms: whether publishes wait for the broker's confirm.
        ///   - queueType: `task_default_queue_type`.
        ///   - exchangeType: `task_default_exchange_type`.
        ///   - logger: where to log.
        public init(
            maxPriority: Int? = nil, publisherConfirms: Bool = true, queueType: QueueType = .classic, exchangeType: String = "direct",
            logger: Logger = RabbitMQBroker.disabledLogger
        ) {
            self.maxPriority = maxPriority
            self.publisherConfirms = publisherConfirms
            self.queueType = queueType
            self.queueTypes = [:]
            self.exchangeType = exchangeType
            self.nativeDelayedDelivery = true
            self.delayedDeliveryQueueType = .quorum
            self.detectQuorumQueues = true
            self.logger = logger
        }

        /// The type of `queue`: its entry in ``queueTypes``, else ``queueType``.
        public func queueType(of queue: String) -> QueueType {
            queueTypes[queue] ?? queueType
        }

        /// Whether countdowns for `queue` go through native delayed delivery: a quorum queue whose exchange is not
        /// `direct`, with ``nativeDelayedDelivery`` on (Celery's rule in `Celery.send_task`).
        public func usesNativeDelayedDelivery(_ queue: String) -> Bool {
            nativeDelayedDelivery && queueType(of: queue) == .quorum && exchangeType != "direct"
        }

        /// Checks the settings fit together, as RabbitMQ would refuse them later with a less clear error.
        /// - Throws: ``CeleriacError`` (``CeleriacError/Code/invalidConfiguration``) for priorities on quorum
        ///   queues, an unknown exchange type or a priority outside 1...255.
        public func validate() throws(CeleriacError) {
            if let maxPriority {
                guard (1...255).contains(maxPriority) else {
                    throw CeleriacError(.invalidConfiguration, "task_queue_max_priority must be from 1 to 255, got \(maxPriority)")
                }
                if queueType == .quorum || queueTypes.values.contains(.quorum) {
                    throw CeleriacError(
                        .invalidConfiguration,
                        "task_queue_max_priority cannot be used with quorum queues: RabbitMQ refuses x-max-priority on them (use classic queues for priorities)")
                }
            }
            guard ["direct", "topic", "fanout", "headers"].contains(exchangeType) else {
                throw CeleriacError(.invalidConfiguration, "task_default_exchange_type must be direct, topic, fanout or headers, got '\(exchangeType)'")
            }
        }
    }

    /// A RabbitMQ queue type, as Celery names it.
    public enum QueueType: String, Sendable, Hashable, CaseIterable {
        /// A classic queue (no `x-queue-type` argument).
        case classic
        /// A replicated quorum queue (`x-queue-type: quorum`).
        case quorum

        /// Reads Celery's spelling (`"classic"` or `"quorum"`).
        /// - Throws: ``CeleriacError`` (``CeleriacError/Code/invalidConfiguration``) for anything else.
        public init(celery text: String, setting: String) throws(CeleriacError) {
            guard let type = QueueType(rawValue: text.lowercased()) else {
                throw CeleriacError(.invalidConfiguration, "\(setting) must be 'classic' or 'quorum', got '\(text)'")
            }
            self = type
        }
    }

    /// A logger that drops everything.
    public static let disabledLogger = Logger(label: "celeriac.rabbitmq", factory: { _ in SwiftLogNoOpLogHandler() })
}
