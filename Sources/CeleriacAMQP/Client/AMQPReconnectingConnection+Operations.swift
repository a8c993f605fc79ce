import Logging
import NIOCore

extension AMQPReconnectingConnection {
    // MARK: Topology

    /// Declares an exchange and remembers it for recovery; see ``AMQPChannel/declareExchange(_:type:durable:autoDelete:internal:passive:arguments:)``.
    public func declareExchange(
        _ name: String,
        type: String = "direct",
        durable: Bool = false,
        autoDelete: Bool = false,
        internal isInternal: Bool = false,
        arguments: AMQPTable = [:]
    ) async throws {
        try await self.withControlChannel { channel in
            try await channel.declareExchange(name, type: type, durable: durable, autoDelete: autoDelete, internal: isInternal, arguments: arguments)
        }
        self.topology.record(.exchange(name: name, type: type, durable: durable, autoDelete: autoDelete, isInternal: isInternal, arguments: arguments))
    }

    /// Deletes an exchange and forgets it and its bindings.
    public func deleteExchange(_ name: String, ifUnused: Bool = false) async throws {
        try await self.withControlChannel { try await $0.deleteExchange(name, ifUnused: ifUnused) }
        self.topology.forgetExchange(name)
    }

    /// Declares a queue and remembers it for recovery; an empty name asks the broker for one (a new one after each
    /// reconnection; bindings and consumers follow).
    /// - Returns: The queue's name and counts.
    @discardableResult
    public func declareQueue(
        _ name: String,
        durable: Bool = false,
        exclusive: Bool = false,
        autoDelete: Bool = false,
        arguments: AMQPTable = [:]
    ) async throws -> AMQPQueueInfo {
        let info = try await self.withControlChannel { channel in
            try await channel.declareQueue(name, durable: durable, exclusive: exclusive, autoDelete: autoDelete, arguments: arguments)
        }
        self.topology.record(
            .queue(name: info.name, serverNamed: name.isEmpty, durable: durable, exclusive: exclusive, autoDelete: autoDelete, arguments: arguments)
        )
        return info
    }

    /// Deletes a queue and forgets it and its bindings.
    /// - Returns: How many messages were deleted with it.
    @discardableResult
    public func deleteQueue(_ name: String, ifUnused: Bool = false, ifEmpty: Bool = false) async throws -> UInt32 {
        let count = try await self.withControlChannel { try await $0.deleteQueue(name, ifUnused: ifUnused, ifEmpty: ifEmpty) }
        self.topology.forgetQueue(name)
        return count
    }

    /// Binds a queue to an exchange and remembers the binding.
    public func bindQueue(_ queue: String, to exchange: String, routingKey: String = "", arguments: AMQPTable = [:]) async throws {
        try await self.withControlChannel { try await $0.bindQueue(queue, to: exchange, routingKey: routingKey, arguments: arguments) }
        self.topology.record(.queueBinding(queue: queue, exchange: exchange, routingKey: routingKey, arguments: arguments))
    }

    /// Removes a queue binding and forgets it.
    public func unbindQueue(_ queue: String, from exchange: String, routingKey: String = "", arguments: AMQPTable = [:]) async throws {
        try await self.withControlChannel { try await $0.unbindQueue(queue, from: exchange, routingKey: routingKey, arguments: arguments) }
        self.topology.forget(.queueBinding(queue: queue, exchange: exchange, routingKey: routingKey, arguments: arguments))
    }

    /// Binds an exchange to another and remembers the binding.
    public func bindExchange(_ destination: String, to source: String, routingKey: String = "", arguments: AMQPTable = [:]) async throws {
        try await self.withControlChannel { try await $0.bindExchange(destination, to: source, routingKey: routingKey, arguments: arguments) }
        self.topology.record(.exchangeBinding(destination: destination, source: source, routingKey: routingKey, arguments: arguments))
    }

    // MARK: Messages

    /// Publishes a message on the shared channel (waiting for the broker's confirm when `publisherConfirms` is on).
    /// - Throws: ``AMQPError``; a connection loss during the publish throws, and the broker may or may not have it.
    public func publish(
        _ body: ByteBuffer,
        exchange: String = "",
        routingKey: String,
        mandatory: Bool = false,
        properties: AMQPProperties = .init()
    ) async throws {
        try await self.withControlChannel { channel in
            try await channel.publish(body, exchange: exchange, routingKey: routingKey, mandatory: mandatory, properties: properties)
        }
    }

    /// Fetches one message (`basic.get`) on the shared channel.
    /// - Returns: The message, or `nil` when the queue is empty.
    public func get(queue: String, noAck: Bool = false) async throws -> AMQPGetResult? {
        try await self.withControlChannel { try await $0.get(queue: queue, noAck: noAck) }
    }

    /// Starts a consumer on its own channel with its own prefetch window; it is restarted (same tag) after every
    /// reconnection, and its sequence goes on. It ends when ``cancel(consumerTag:)`` or ``close()`` is called,
    /// or throws when the broker cancels it (its queue was deleted) or the login is refused on reconnect.
    /// - Parameters:
    ///   - queue: The queue.
    ///   - prefetchCount: The consumer's prefetch window (`basic.qos`); 0 = unlimited.
    ///   - consumerTag: The tag; `nil` makes a unique one.
    ///   - noAck: Whether messages count as acknowledged when sent.
    ///   - exclusive: Whether no other consumer may use the queue.
    ///   - arguments: Consumer arguments.
    /// - Returns: The consumer.
    public func consume(
        queue: String,
        prefetchCount: UInt16 = 0,
        consumerTag: String? = nil,
        noAck: Bool = false,
        exclusive: Bool = false,
        arguments: AMQPTable = [:]
    ) async throws -> Consumer {
        let tag = consumerTag ?? "celeriac.\(UInt64.random(in: 0...UInt64.max))"
        guard self.consumers[tag] == nil else { throw AMQPError(.invalidArgument, message: "consumer tag '\(tag)' is in use") }
        let (connection, _) = try await self.ready()
        let (stream, sink) = AsyncThrowingStream.makeStream(of: AMQPDelivery.self)
        self.consumers[tag] = ConsumerRecord(
            queue: queue, noAck: noAck, exclusive: exclusive, arguments: arguments, prefetchCount: prefetchCount, sink: sink
        )
        do {
            try await self.startConsumer(tag, on: connection)
        } catch {
            self.consumers[tag] = nil
            sink.finish(throwing: error)
            throw error
        }
        return Consumer(consumerTag: tag, stream: stream)
    }

    /// Stops a consumer; its sequence ends.
    public func cancel(consumerTag: String) async throws {
        guard let record = self.consumers.removeValue(forKey: consumerTag) else { return }
        record.forwarder?.cancel()
        record.sink.finish()
        if let channel = record.channel {
            try? await channel.cancel(consumerTag: consumerTag)
            await channel.close()
        }
    }

    /// Opens the consumer's channel, sets its prefetch, consumes, and forwards deliveries to its sequence.
    func startConsumer(_ tag: String, on connection: AMQPConnection) async throws {
        guard let record = self.consumers[tag] else { return }
        let channel = try await connection.openChannel()
        if record.prefetchCount > 0 { try await channel.qos(prefetchCount: record.prefetchCount) }
        let inner = try await channel.consume(queue: record.queue, consumerTag: tag, noAck: record.noAck, exclusive: record.exclusive, arguments: record.arguments)
        let sink = record.sink
        let generation = self.generation
        self.consumers[tag]?.channel = channel
        // An unstructured task, on purpose: it lives as long as the consumer's channel; cancel()/close() stop it.
        self.consumers[tag]?.forwarder = Task {
            do {
                for try await delivery in inner { sink.yield(delivery) }
            } catch let error as AMQPError where error.code == .consumerCancelled {
                self.consumerEnded(tag, error: error)
            } catch let error as AMQPError where error.code == .channelClosed {
                await self.consumerChannelClosed(tag, generation: generation, error: error)
            } catch {
                // The connection broke: recovery restarts the consumer.
            }
        }
    }

    func consumerEnded(_ tag: String, error: AMQPError) {
        guard let record = self.consumers.removeValue(forKey: tag) else { return }
        self.logger.info("the broker cancelled a consumer", metadata: ["amqp.consumer": "\(tag)"])
        record.sink.finish(throwing: error)
    }

    /// The broker closed a consumer's channel while the connection stayed up: start it again on a new channel.
    func consumerChannelClosed(_ tag: String, generation: Int, error: AMQPError) async {
        guard self.consumers[tag] != nil, generation == self.generation, let connection = self.connection, connection.isOpen else { return }
        self.logger.debug("restarting a consumer after its channel closed", metadata: ["amqp.consumer": "\(tag)", AMQPLogging.error: "\(error)"])
        do {
            try await self.startConsumer(tag, on: connection)
        } catch {
            if let record = self.consumers.removeValue(forKey: tag) { record.sink.finish(throwing: error) }
        }
    }
}
