import Logging

extension RabbitMQBroker {
    /// Settings of a ``RabbitMQBroker``; every property has Celery's default.
    ///
    /// ```swift
    /// var configuration = RabbitMQBroker.Configuration()
    /// configuration.maxPriority = 10          // task_queue_max_priority: queues get x-max-priority 10
    /// let broker = try RabbitMQBroker(url: "amqp://guest:guest@localhost:5672//", configuration: configuration)
    /// ```
    public struct Configuration: Sendable {
        /// Celery's `task_queue_max_priority`: when set, queues are declared with `x-max-priority` (an `I`
        /// integer, as kombu sends it); `nil` (the default) declares them without arguments. A queue that
        /// already exists with other arguments makes RabbitMQ refuse the declaration (`406 PRECONDITION_FAILED`).
        public var maxPriority: Int?
        /// Whether publishes wait for RabbitMQ's publisher confirm (`confirm.select`), so a returned publish is
        /// stored by the broker. On by default (Celery's `confirm_publish` transport option, off in Celery).
        public var publisherConfirms: Bool
        /// Where the broker logs (consumer failures, stale acknowledgements). Logs nothing by default.
        public var logger: Logger

        /// Creates a configuration.
        /// - Parameters:
        ///   - maxPriority: `task_queue_max_priority`, or `nil` for none.
        ///   - publisherConfirms: whether publishes wait for the broker's confirm.
        ///   - logger: where to log.
        public init(maxPriority: Int? = nil, publisherConfirms: Bool = true, logger: Logger = RabbitMQBroker.disabledLogger) {
            self.maxPriority = maxPriority
            self.publisherConfirms = publisherConfirms
            self.logger = logger
        }
    }

    /// A logger that drops everything.
    public static let disabledLogger = Logger(label: "celeriac.rabbitmq", factory: { _ in SwiftLogNoOpLogHandler() })
}
