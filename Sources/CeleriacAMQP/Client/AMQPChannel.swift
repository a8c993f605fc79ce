import NIOCore

/// An AMQP channel on an ``AMQPConnection``: topology (exchanges, queues, bindings), publishing, consuming,
/// acknowledgements, prefetch and publisher confirms.
///
/// Operations that wait for the broker (declare, bind, consume, qos, get, ...) are answered in order. When the broker
/// refuses one (a missing queue, a declare with different arguments), it closes the channel: that operation and
/// every later one on the channel throw ``AMQPError/Code/channelClosed`` with the broker's ``AMQPError/replyCode``
/// and ``AMQPError/replyText``; open a new channel to go on. The connection stays open.
public final class AMQPChannel: Sendable {
    /// The channel number on its connection.
    public let id: UInt16
    /// The connection the channel belongs to.
    public let connection: AMQPConnection

    init(id: UInt16, connection: AMQPConnection) {
        self.id = id
        self.connection = connection
    }

    // MARK: Exchanges

    /// Declares an exchange (`exchange.declare`).
    /// - Parameters:
    ///   - name: The exchange name.
    ///   - type: `direct`, `fanout`, `topic` or `headers` (or a plugin's type).
    ///   - durable: Whether it survives a broker restart.
    ///   - autoDelete: Whether it is deleted when its last binding goes.
    ///   - internal: Whether clients can't publish to it directly.
    ///   - passive: Only check that it exists (a missing one closes the channel with 404).
    ///   - arguments: Extra arguments (`alternate-exchange`, ...).
    /// - Throws: ``AMQPError``; ``AMQPError/Code/channelClosed`` with 406 when it exists with other settings.
    public func declareExchange(
        _ name: String,
        type: String = "direct",
        durable: Bool = false,
        autoDelete: Bool = false,
        internal isInternal: Bool = false,
        passive: Bool = false,
        arguments: AMQPTable = [:]
    ) async throws {
        _ = try await self.call(
            .exchange(.declare(exchange: name, type: type, passive: passive, durable: durable, autoDelete: autoDelete, internal: isInternal, noWait: false, arguments: arguments))
        )
    }

    /// Deletes an exchange (`exchange.delete`).
    /// - Parameters:
    ///   - name: The exchange name.
    ///   - ifUnused: Only if it has no bindings.
    /// - Throws: ``AMQPError``.
    public func deleteExchange(_ name: String, ifUnused: Bool = false) async throws {
        _ = try await self.call(.exchange(.delete(exchange: name, ifUnused: ifUnused, noWait: false)))
    }

    /// Binds an exchange to another (`exchange.bind`): messages routed by `source` with `routingKey` reach `destination`.
    /// - Parameters:
    ///   - destination: The exchange receiving messages.
    ///   - source: The exchange messages come from.
    ///   - routingKey: The binding key.
    ///   - arguments: Binding arguments (for `headers` exchanges).
    /// - Throws: ``AMQPError``.
    public func bindExchange(_ destination: String, to source: String, routingKey: String = "", arguments: AMQPTable = [:]) async throws {
        _ = try await self.call(.exchange(.bind(destination: destination, source: source, routingKey: routingKey, noWait: false, arguments: arguments)))
    }

    /// Removes an exchange-to-exchange binding (`exchange.unbind`).
    /// - Parameters:
    ///   - destination: The exchange receiving messages.
    ///   - source: The exchange messages come from.
    ///   - routingKey: The binding key.
    ///   - arguments: The binding's arguments.
    /// - Throws: ``AMQPError``.
    public func unbindExchange(_ destination: String, from source: String, routingKey: String = "", arguments: AMQPTable = [:]) async throws {
        _ = try await self.call(.exchange(.unbind(destination: destination, source: source, routingKey: routingKey, noWait: false, arguments: arguments)))
    }

    // MARK: Queues

    /// Declares a queue (`queue.declare`).
    /// - Parameters:
    ///   - name: The queue name; empty asks the broker for a unique name (returned).
    ///   - durable: Whether it survives a broker restart.
    ///   - exclusive: Whether only this connection may use it (deleted when the connection closes).
    ///   - autoDelete: Whether it is deleted when its last consumer goes.
    ///   - passive: Only check that it exists (a missing one closes the channel with 404).
    ///   - arguments: Queue arguments (`x-max-priority`, `x-message-ttl`, `x-queue-type`, ...).
    /// - Returns: The queue's name, message count and consumer count.
    /// - Throws: ``AMQPError``; ``AMQPError/Code/channelClosed`` with 406 when it exists with other settings.
    @discardableResult
    public func declareQueue(
        _ name: String,
        durable: Bool = false,
        exclusive: Bool = false,
        autoDelete: Bool = false,
        passive: Bool = false,
        arguments: AMQPTable = [:]
    ) async throws -> AMQPQueueInfo {
        let reply = try await self.call(
            .queue(.declare(queue: name, passive: passive, durable: durable, exclusive: exclusive, autoDelete: autoDelete, noWait: false, arguments: arguments))
        )
        guard case .queue(.declareOk(let queue, let messages, let consumers)) = reply.method else {
            throw AMQPError.protocolError("queue.declare answered with \(reply.method.name)")
        }
        return AMQPQueueInfo(name: queue, messageCount: messages, consumerCount: consumers)
    }

    /// Binds a queue to an exchange (`queue.bind`).
    /// - Parameters:
    ///   - queue: The queue.
    ///   - exchange: The exchange.
    ///   - routingKey: The binding key.
    ///   - arguments: Binding arguments.
    /// - Throws: ``AMQPError``.
    public func bindQueue(_ queue: String, to exchange: String, routingKey: String = "", arguments: AMQPTable = [:]) async throws {
        _ = try await self.call(.queue(.bind(queue: queue, exchange: exchange, routingKey: routingKey, noWait: false, arguments: arguments)))
    }

    /// Removes a queue binding (`queue.unbind`).
    /// - Parameters:
    ///   - queue: The queue.
    ///   - exchange: The exchange.
    ///   - routingKey: The binding key.
    ///   - arguments: The binding's arguments.
    /// - Throws: ``AMQPError``.
    public func unbindQueue(_ queue: String, from exchange: String, routingKey: String = "", arguments: AMQPTable = [:]) async throws {
        _ = try await self.call(.queue(.unbind(queue: queue, exchange: exchange, routingKey: routingKey, arguments: arguments)))
    }

    /// Removes every ready message from a queue (`queue.purge`).
    /// - Parameter queue: The queue.
    /// - Returns: How many messages were removed.
    /// - Throws: ``AMQPError``.
    @discardableResult
    public func purgeQueue(_ queue: String) async throws -> UInt32 {
        let reply = try await self.call(.queue(.purge(queue: queue, noWait: false)))
        guard case .queue(.purgeOk(let count)) = reply.method else { throw AMQPError.protocolError("queue.purge answered with \(reply.method.name)") }
        return count
    }

    /// Deletes a queue (`queue.delete`).
    /// - Parameters:
    ///   - queue: The queue.
    ///   - ifUnused: Only if it has no consumers.
    ///   - ifEmpty: Only if it has no messages.
    /// - Returns: How many messages were deleted with it.
    /// - Throws: ``AMQPError``.
    @discardableResult
    public func deleteQueue(_ queue: String, ifUnused: Bool = false, ifEmpty: Bool = false) async throws -> UInt32 {
        let reply = try await self.call(.queue(.delete(queue: queue, ifUnused: ifUnused, ifEmpty: ifEmpty, noWait: false)))
        guard case .queue(.deleteOk(let count)) = reply.method else { throw AMQPError.protocolError("queue.delete answered with \(reply.method.name)") }
        return count
    }

    // MARK: Channel

    /// Closes the channel (`channel.close`); its consumers' sequences end and unacknowledged deliveries go back
    /// to their queues.
    public func close() async {
        let promise = self.connection.eventLoop.makePromise(of: Void.self)
        self.connection.write(.closeChannel(channel: self.id, promise: promise)) { _ in promise.succeed(()) }
        _ = try? await self.connection.wait(for: promise.futureResult, what: "channel.close")
    }

    func call(_ method: AMQPMethod) async throws -> AMQPReply {
        try await self.connection.call(method, on: self.id)
    }
}

/// What `queue.declare-ok` says about a queue.
public struct AMQPQueueInfo: Hashable, Sendable {
    /// The queue's name (the broker's choice when declared with an empty name).
    public var name: String
    /// Messages ready for delivery.
    public var messageCount: UInt32
    /// Active consumers.
    public var consumerCount: UInt32
}
