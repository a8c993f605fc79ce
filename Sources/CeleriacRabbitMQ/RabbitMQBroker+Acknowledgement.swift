import Celeriac
import CeleriacAMQP
import Logging

extension RabbitMQBroker {
    /// Acknowledges deliveries (`basic.ack`, one per tag). Tags of a channel that was lost are skipped:
    /// RabbitMQ has already put those messages back.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/brokerFailure``) when the channel fails; the message
    ///   is then redelivered.
    public func ack(_ tags: [DeliveryTag]) async throws {
        for tag in tags {
            guard let held = take(tag, "ack") else { continue }
            do {
                try await held.channel.ack(deliveryTag: held.deliveryTag)
            } catch {
                throw Self.failure("acknowledging \(tag)", error)
            }
        }
    }

    /// Rejects a delivery (`basic.reject`). With `requeue` RabbitMQ puts it back in its place in the queue
    /// (not at the back, unlike kombu's virtual transports), marked redelivered; without, it is dropped (or
    /// dead-lettered when the queue has a dead-letter exchange).
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/brokerFailure``) when the channel fails.
    public func reject(_ tag: DeliveryTag, requeue: Bool) async throws {
        guard let held = take(tag, "reject") else { return }
        do {
            try await held.channel.reject(deliveryTag: held.deliveryTag, requeue: requeue)
        } catch {
            throw Self.failure("rejecting \(tag)", error)
        }
    }

    /// Gives deliveries back (`basic.reject requeue=true`): RabbitMQ puts them back at the head of their
    /// queue, marked redelivered.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/brokerFailure``) when the channel fails; the messages
    ///   are redelivered anyway once it closes.
    public func giveBack(_ tags: [DeliveryTag]) async throws {
        for tag in tags {
            guard let held = take(tag, "give back") else { continue }
            do {
                try await held.channel.reject(deliveryTag: held.deliveryTag, requeue: true)
            } catch {
                throw Self.failure("giving back \(tag)", error)
            }
        }
    }

    /// Does nothing: RabbitMQ has no visibility lease. A delivery stays with this consumer until it is
    /// acknowledged or its channel closes.
    public func extendLeases(_ tags: [DeliveryTag]) async throws {}

    /// Does nothing and returns 0: RabbitMQ itself redelivers the unacknowledged messages of a closed channel
    /// or connection (a dead worker's), so there is nothing to restore.
    public func restoreExpiredLeases() async throws -> Int { 0 }

    /// Deletes every ready message of a queue (`queue.purge`, after declaring it as Celery does).
    /// Unacknowledged messages are not touched.
    /// - Returns: how many messages were deleted.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/brokerFailure``) when RabbitMQ fails.
    public func purge(queue: String) async throws -> Int {
        try checkOpen()
        do {
            let channel = try await publisher()
            if !declared.contains(queue) { try await declareTopology(queue, on: channel) }
            return Int(try await channel.purgeQueue(queue))
        } catch {
            await dropPublisher()
            throw Self.failure("purging \(queue)", error)
        }
    }

    /// Ready messages per queue from a passive `queue.declare`, unacknowledged ones from this broker's own
    /// bookkeeping (RabbitMQ's count of other consumers' unacknowledged messages needs the management API).
    /// Covers the queues this broker declared or consumes; a queue deleted meanwhile is left out.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/brokerFailure``) when RabbitMQ can't be reached.
    public func queueDepths() async throws -> [QueueDepth] {
        try checkOpen()
        let connection: AMQPConnection
        do {
            connection = try await connect()
        } catch {
            throw Self.failure("counting messages", error)
        }
        let queues = declared.union(consumption.consumers.keys).sorted()
        var depths: [QueueDepth] = []
        var channel: AMQPChannel?
        for queue in queues {
            do {
                let current: AMQPChannel
                if let channel { current = channel } else { current = try await connection.openChannel() }
                channel = current
                let info = try await current.declareQueue(queue, passive: true)
                let unacked = consumption.held.values.count { $0.queue == queue }
                depths.append(QueueDepth(queue: queue, ready: Int(info.messageCount), unacked: unacked))
            } catch let error as AMQPError where error.code == .channelClosed {
                channel = nil  // 404: the queue is gone; a passive declare's failure closes the channel
            } catch {
                await channel?.close()
                throw Self.failure("counting messages in \(queue)", error)
            }
        }
        await channel?.close()
        return depths
    }

    /// Removes a tag from the bookkeeping (and the buffer), logging tags this broker doesn't hold.
    func take(_ tag: DeliveryTag, _ what: String) -> Held? {
        guard let held = consumption.held.removeValue(forKey: tag.rawValue) else {
            logger.debug("ignoring \(what) of a delivery this broker does not hold (its channel was lost, so RabbitMQ redelivers it)",
                         metadata: ["tag": "\(tag)"])
            return nil
        }
        if !held.handedOut { consumption.buffer.removeAll { $0.tag == tag } }
        return held
    }
}
