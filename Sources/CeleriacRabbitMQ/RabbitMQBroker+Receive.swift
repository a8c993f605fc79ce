import Celeriac
import CeleriacAMQP
import Logging
import NIOCore

extension RabbitMQBroker {
    /// A delivery this broker holds unacknowledged: buffered or handed out.
    struct Held: Sendable {
        var channel: AMQPChannel
        var deliveryTag: UInt64
        var queue: String
        var handedOut: Bool
    }

    /// The consuming side: one channel, one consumer per queue, the buffer the consumers fill.
    struct Consumption {
        /// Bumped for each consumer channel, so tags and late deliveries of an older one are told apart.
        var generation = 0
        var channel: AMQPChannel?
        /// Queue name → consumer.
        var consumers: [String: AMQPConsumer] = [:]
        var tasks: [Task<Void, Never>] = []
        /// The current `basic.qos` prefetch count (0 = not set yet).
        var prefetch = 0
        /// Deliveries received from RabbitMQ and not yet handed out, in arrival order.
        var buffer: [Delivery] = []
        /// Every unacknowledged delivery of the current channel, by tag.
        var held: [String: Held] = [:]
        /// Why a consumer of the current channel ended, if one did.
        var failure: (any Error)?
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    /// Takes up to `limit` buffered deliveries from `queues`, waiting up to `timeout` for the first one.
    ///
    /// Starts consumers for queues not consumed yet (declaring them as Celery does), stops those for queues no
    /// longer asked (their buffered deliveries go back), and sets the prefetch to the deliveries handed out and
    /// not yet acknowledged + `limit`, so RabbitMQ never sends more than the caller can take.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/brokerFailure``) when RabbitMQ fails; the next call
    ///   reconnects.
    public func receive(from queues: [String], limit: Int, timeout: Duration) async throws -> [Delivery] {
        try checkOpen()
        guard !queues.isEmpty else { return [] }
        let limit = max(1, limit)
        do {
            try await startConsumers(queues, limit: limit)
        } catch {
            // A cancelled receive (warm shutdown) must not close the channel: running tasks still hold deliveries
            // on it and ack them later.
            if Task.isCancelled || error is CancellationError { return [] }
            await stopConsuming()
            throw Self.failure("starting consumers", error)
        }
        let deadline = ContinuousClock.now + timeout
        while consumption.buffer.isEmpty, consumption.failure == nil, !closed, !Task.isCancelled, ContinuousClock.now < deadline {
            await waitForDelivery(until: deadline)
        }
        if consumption.buffer.isEmpty, let failure = consumption.failure {
            await stopConsuming()
            throw Self.failure("consuming", failure)
        }
        let taken = Array(consumption.buffer.prefix(limit))
        consumption.buffer.removeFirst(taken.count)
        for delivery in taken { consumption.held[delivery.tag.rawValue]?.handedOut = true }
        return taken
    }

    /// Makes sure one consumer per queue runs with the right prefetch window.
    func startConsumers(_ queues: [String], limit: Int) async throws {
        let connection = try await connect()
        if consumption.failure != nil { await stopConsuming() }
        let channel: AMQPChannel
        if let existing = consumption.channel {
            channel = existing
        } else {
            channel = try await connection.openChannel()
            consumption.generation += 1
            consumption.channel = channel
        }
        let handedOut = consumption.held.values.count(where: \.handedOut)
        let prefetch = min(Int(UInt16.max), handedOut + limit)
        // kombu sends global=true on RabbitMQ 3.x (one window for the channel's consumers); 4.x changed the
        // meaning of the flag, and quorum queues refuse global QoS, so there each consumer gets the window. A
        // per-consumer window only applies to consumers started afterwards, so it is static (as Celery's is
        // with quorum queues): set once, raised only when a larger one is asked.
        let perConsumer = perConsumerPrefetch(queues, connection: connection)
        if perConsumer ? prefetch > consumption.prefetch : prefetch != consumption.prefetch {
            try await channel.qos(prefetchCount: UInt16(prefetch), global: !perConsumer)
            consumption.prefetch = prefetch
        }
        let wanted = Set(queues)
        for queue in consumption.consumers.keys where !wanted.contains(queue) {
            try await stopConsumer(queue)
        }
        for queue in queues where consumption.consumers[queue] == nil {
            if !declared.contains(queue) { try await declareTopology(queue, on: channel) }
            let consumer = try await channel.consume(queue: queue)
            consumption.consumers[queue] = consumer
            let generation = consumption.generation
            consumption.tasks.append(Task { [weak self] in
                do {
                    for try await delivery in consumer {
                        await self?.enqueue(delivery, queue: queue, generation: generation)
                    }
                } catch {
                    await self?.consumerEnded(generation: generation, queue: queue, error: error)
                }
            })
        }
    }

    /// Stops the consumer of a queue no longer asked for; its buffered deliveries go back to the queue.
    func stopConsumer(_ queue: String) async throws {
        guard let consumer = consumption.consumers.removeValue(forKey: queue) else { return }
        try await consumer.cancel()
        let returned = consumption.buffer.filter { $0.queue == queue }
        consumption.buffer.removeAll { $0.queue == queue }
        for delivery in returned {
            guard let held = consumption.held.removeValue(forKey: delivery.tag.rawValue) else { continue }
            try await held.channel.reject(deliveryTag: held.deliveryTag, requeue: true)
        }
    }

    /// Adds a delivery from a consumer to the buffer and wakes a waiting receive.
    func enqueue(_ delivery: AMQPDelivery, queue: String, generation: Int) {
        guard generation == consumption.generation, let channel = consumption.channel else { return }
        recordReplyRoute(delivery.properties)
        let tag = "\(instanceID).\(generation).\(delivery.deliveryTag)"
        let envelope = RabbitMQMessageCodec.envelope(
            body: Array(buffer: delivery.body), properties: delivery.properties, exchange: delivery.exchange,
            routingKey: delivery.routingKey, redelivered: delivery.redelivered, deliveryTag: tag
        )
        consumption.held[tag] = Held(channel: channel, deliveryTag: delivery.deliveryTag, queue: queue, handedOut: false)
        consumption.buffer.append(Delivery(tag: DeliveryTag(tag), queue: queue, envelope: envelope, redelivered: delivery.redelivered))
        wakeAll()
    }

    /// Records that a consumer of the current channel ended (channel or connection lost, queue deleted).
    func consumerEnded(generation: Int, queue: String, error: any Error) {
        guard generation == consumption.generation, !closed else { return }
        logger.warning("RabbitMQ consumer ended; reconnecting on the next receive", metadata: ["queue": "\(queue)", "error": "\(error)"])
        consumption.failure = error
        wakeAll()
    }

    /// Closes the consumer channel: RabbitMQ redelivers everything it held unacknowledged.
    func stopConsuming() async {
        let channel = consumption.channel
        resetConsumption()
        await channel?.close()
    }

    /// Forgets the consumers, buffer and unacknowledged deliveries (their channel is gone or going).
    func resetConsumption() {
        for task in consumption.tasks { task.cancel() }
        let waiters = consumption.waiters
        consumption = Consumption(generation: consumption.generation, nextWaiter: consumption.nextWaiter)
        for waiter in waiters.values { waiter.resume() }
    }

    /// Suspends until a delivery arrives, a consumer fails, the deadline passes or the task is cancelled.
    func waitForDelivery(until deadline: ContinuousClock.Instant) async {
        let id = consumption.nextWaiter
        consumption.nextWaiter += 1
        let timer = Task { [weak self] in
            try? await Task.sleep(until: deadline, clock: .continuous)
            await self?.wake(id)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                if Task.isCancelled || !consumption.buffer.isEmpty || consumption.failure != nil || closed {
                    continuation.resume()
                } else {
                    consumption.waiters[id] = continuation
                }
            }
        } onCancel: {
            Task { [weak self] in await self?.wake(id) }
        }
        timer.cancel()
    }

    func wake(_ id: Int) {
        consumption.waiters.removeValue(forKey: id)?.resume()
    }

    func wakeAll() {
        let waiters = consumption.waiters
        consumption.waiters = [:]
        for waiter in waiters.values { waiter.resume() }
    }

    /// Whether the broker is RabbitMQ before 4.0 (kombu's `qos_semantics_matches_spec` is false there).
    static func isBefore4(_ connection: AMQPConnection) -> Bool {
        guard let version = connection.negotiated.serverProperties["version"]?.stringValue,
              let major = version.split(separator: ".").first.flatMap({ Int($0) }) else { return true }
        return major < 4
    }
}
