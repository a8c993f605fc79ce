import Celeriac
import CeleriacAMQP
import NIOCore

extension RabbitMQBroker {
    /// Turns on the `rpc://` bookkeeping: reply queues are declared (with `arguments`) before tasks are
    /// published, and the reply route of every received task is kept for ``RPCResultBackend``.
    func enableReplies(queueArguments: AMQPTable) {
        replyRoutes.queueArguments = queueArguments
    }

    /// Declares the reply queues named by the `reply_to` of messages about to be published, as Celery's
    /// `RPCBackend.on_task_call` does before every publish (an auto-delete queue may have gone since), and records
    /// which reply queue each task's results come back to. Does nothing without an rpc backend; a `reply_to`
    /// first seen on a received message (a retry of another client's task) is that client's queue and is left alone.
    func declareReplyQueues(for messages: [AMQPProperties], on channel: AMQPChannel) async throws {
        guard let arguments = replyRoutes.queueArguments else { return }
        var queues: [String] = []
        for properties in messages {
            guard let replyTo = properties.replyTo, !replyTo.isEmpty, replyRoutes.isOwn(replyTo) else { continue }
            if let id = properties.headers?["id"]?.stringValue { replyRoutes.sent(taskID: id, replyTo: replyTo) }
            if !queues.contains(replyTo) { queues.append(replyTo) }
        }
        for queue in queues {
            try await channel.declareQueue(queue, durable: true, autoDelete: true, arguments: arguments)
        }
    }

    /// Records where a received task's results go (its `reply_to` and `correlation_id`), when an rpc backend
    /// uses this broker.
    func recordReplyRoute(_ properties: AMQPProperties) {
        guard replyRoutes.queueArguments != nil, let replyTo = properties.replyTo, !replyTo.isEmpty,
              let id = properties.headers?["id"]?.stringValue else { return }
        replyRoutes.received(taskID: id, replyTo: replyTo, correlationID: properties.correlationID)
    }

    /// The reply route of a task this broker received, else the reply queue of a task it sent.
    func replyRoute(for taskID: String) -> ReplyRoutes.Route? {
        if let route = replyRoutes.received[taskID] { return route }
        return replyRoutes.sent[taskID].map { ReplyRoutes.Route(replyTo: $0, correlationID: taskID) }
    }

    /// The reply queue results of a task this broker published come back to.
    func sentReplyQueue(for taskID: String) -> String? {
        replyRoutes.sent[taskID]
    }

    /// Forgets a task's reply bookkeeping.
    func forgetReplyRoute(for taskID: String) {
        replyRoutes.forget(taskID: taskID)
    }

    /// Publishes a result message to the default exchange with the reply queue as routing key
    /// (`RPCBackend.store_result`): `application/json`, an empty header table, `correlation_id` = the task id.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/brokerFailure``) when RabbitMQ fails.
    func publishReply(_ body: [UInt8], route: ReplyRoutes.Route, taskID: String, deliveryMode: UInt8) async throws {
        try checkOpen()
        var properties = AMQPProperties()
        properties.contentType = "application/json"
        properties.contentEncoding = "utf-8"
        properties.headers = [:]
        properties.deliveryMode = deliveryMode
        properties.priority = 0
        properties.correlationID = route.correlationID ?? taskID
        do {
            let channel = try await publisher()
            try await channel.publish(ByteBuffer(bytes: body), exchange: "", routingKey: route.replyTo, properties: properties)
        } catch {
            await dropPublisher()
            throw Self.failure("sending the result of \(taskID) to \(route.replyTo)", error)
        }
    }

    /// Declares a reply queue on a new channel and consumes it without acknowledgements (`no_ack=true`, as
    /// Celery's `ResultConsumer` does).
    /// - Returns: the channel, the consumer and how many messages were waiting in the queue.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/brokerFailure``) when RabbitMQ fails.
    func consumeReplies(from queue: String) async throws -> (channel: AMQPChannel, consumer: AMQPConsumer, waiting: UInt32) {
        try checkOpen()
        var opened: AMQPChannel?
        do {
            let connection = try await connect()
            let channel = try await connection.openChannel()
            opened = channel
            let info = try await channel.declareQueue(queue, durable: true, autoDelete: true, arguments: replyRoutes.queueArguments ?? [:])
            let consumer = try await channel.consume(queue: queue, noAck: true)
            return (channel, consumer, info.messageCount)
        } catch {
            await opened?.close()
            throw Self.failure("consuming results from \(queue)", error)
        }
    }
}
