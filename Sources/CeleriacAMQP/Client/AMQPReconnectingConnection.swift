import Logging
import NIOCore
import NIOPosix

/// A connection that reconnects when the broker restarts or the network breaks, and recovers what was declared on
/// it: exchanges, queues, bindings (in declaration order) and consumers (same tags, same prefetch).
///
/// ```swift
/// let connection = try await AMQPReconnectingConnection.open(configuration: configuration, logger: logger)
/// try await connection.declareQueue("celery", durable: true)
/// let consumer = try await connection.consume(queue: "celery", prefetchCount: 4)
/// for try await delivery in consumer {   // survives broker restarts
///     try await handle(delivery)
///     try? await delivery.ack()           // may throw if the connection broke meanwhile: the message comes again
/// }
/// ```
///
/// The first connection is made by ``open(configuration:policy:eventLoopGroup:logger:)``, which throws at once on
/// a wrong password or virtual host (no retry storm). After a loss, reconnect attempts back off exponentially; a
/// refused login or virtual host during recovery ends every consumer with that error instead of retrying forever.
///
/// **Unacknowledged deliveries on reconnect**: the broker requeues every message that was delivered but not yet
/// acknowledged when the connection broke, and delivers it again (to this or another consumer) with `redelivered`
/// set and a new delivery tag: delivery tags restart on the new channels. Acknowledging a delivery from the old
/// connection throws ``AMQPError/Code/connectionClosed``; it is safe to ignore, the message is redelivered. A task
/// may therefore run twice, as with Celery's `acks_late`.
///
/// Each consumer has its own channel (its prefetch window is its own, and a broker error on one consumer leaves the
/// others running). Declarations and publishes share one channel; a broker error there (say a `404` on a passive
/// declare) is thrown and the channel replaced. An operation issued while disconnected waits for the reconnection
/// up to ``ReconnectPolicy/operationWaitTimeout``. A publish interrupted by a connection loss throws; whether the
/// broker got it is unknown (turn on `publisherConfirms` and publish again to be sure).
public actor AMQPReconnectingConnection {
    /// How reconnection is paced.
    public struct ReconnectPolicy: Sendable {
        /// The wait before the first reconnect attempt. Default 100 ms.
        public var initialDelay: Duration = .milliseconds(100)
        /// The longest wait between attempts (the wait doubles up to this). Default 5 s.
        public var maximumDelay: Duration = .seconds(5)
        /// How long an operation waits for a reconnection before it throws. Default 30 s.
        public var operationWaitTimeout: Duration = .seconds(30)

        /// The defaults.
        public init() {}
    }

    /// A consumer whose deliveries continue across reconnections.
    public struct Consumer: AsyncSequence, Sendable {
        public typealias Element = AMQPDelivery
        public typealias AsyncIterator = AsyncThrowingStream<AMQPDelivery, any Error>.Iterator

        /// The consumer's tag, kept across reconnections.
        public let consumerTag: String
        let stream: AsyncThrowingStream<AMQPDelivery, any Error>

        /// Iterates the deliveries.
        public func makeAsyncIterator() -> AsyncIterator { self.stream.makeAsyncIterator() }
    }

    struct ConsumerRecord {
        var queue: String
        var noAck: Bool
        var exclusive: Bool
        var arguments: AMQPTable
        var prefetchCount: UInt16
        var sink: AsyncThrowingStream<AMQPDelivery, any Error>.Continuation
        var channel: AMQPChannel?
        var forwarder: Task<Void, Never>?
    }

    let configuration: AMQPConfiguration
    let policy: ReconnectPolicy
    let publisherConfirms: Bool
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    var connection: AMQPConnection?
    var control: AMQPChannel?
    var topology = AMQPTopology()
    var consumers: [String: ConsumerRecord] = [:]
    var generation = 0
    var isClosed = false
    var fatalError: AMQPError?
    var isRecovering = false
    /// How many times the connection was re-established after a loss.
    public private(set) var reconnectCount = 0

    init(configuration: AMQPConfiguration, policy: ReconnectPolicy, publisherConfirms: Bool, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.policy = policy
        self.publisherConfirms = publisherConfirms
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// Opens the first connection; a failure (wrong password, missing virtual host, broker down) throws at once.
    /// - Parameters:
    ///   - configuration: The broker and connection settings.
    ///   - policy: How reconnection is paced.
    ///   - publisherConfirms: Whether publishes wait for the broker's confirm (`confirm.select`).
    ///   - eventLoopGroup: The event loops to run on.
    ///   - logger: The logger for connection events.
    /// - Returns: The connection.
    /// - Throws: ``AMQPError`` from ``AMQPConnection/open(configuration:eventLoopGroup:logger:)``.
    public static func open(
        configuration: AMQPConfiguration,
        policy: ReconnectPolicy = .init(),
        publisherConfirms: Bool = false,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) async throws -> AMQPReconnectingConnection {
        let connection = try await AMQPConnection.open(configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger)
        let instance = AMQPReconnectingConnection(
            configuration: configuration, policy: policy, publisherConfirms: publisherConfirms, eventLoopGroup: eventLoopGroup, logger: logger
        )
        do {
            try await instance.attach(connection)
        } catch {
            await connection.close()
            throw error
        }
        return instance
    }

    /// Whether a connection is open right now.
    public var isConnected: Bool { self.connection?.isOpen == true && !self.isClosed }

    /// Closes the connection for good; consumers' sequences end.
    public func close() async {
        self.isClosed = true
        for (_, record) in self.consumers {
            record.forwarder?.cancel()
            record.sink.finish()
        }
        self.consumers = [:]
        let connection = self.connection
        self.connection = nil
        self.control = nil
        await connection?.close()
    }

    // MARK: Connection management

    func attach(_ connection: AMQPConnection) async throws {
        let control = try await connection.openChannel()
        if self.publisherConfirms { try await control.confirmSelect() }
        self.connection = connection
        self.control = control
        self.generation += 1
        let generation = self.generation
        // An unstructured task, on purpose: the close callback runs on the event loop and must hop to the actor.
        connection.closeFuture.whenComplete { _ in
            Task { await self.connectionLost(generation: generation) }
        }
    }

    func connectionLost(generation: Int) {
        guard generation == self.generation, !self.isClosed, !self.isRecovering else { return }
        self.logger.info("connection to the broker lost; reconnecting")
        self.connection = nil
        self.control = nil
        self.isRecovering = true
        // Unstructured on purpose: recovery outlives the callback that noticed the loss; close() stops it.
        Task { await self.recover() }
    }

    private func recover() async {
        var delay = self.policy.initialDelay
        while !self.isClosed {
            do {
                let connection = try await AMQPConnection.open(configuration: self.configuration, eventLoopGroup: self.eventLoopGroup, logger: self.logger)
                if self.isClosed {
                    await connection.close()
                    break
                }
                do {
                    try await self.attach(connection)
                    try await self.restore(on: connection)
                } catch {
                    await connection.close()
                    throw error
                }
                self.reconnectCount += 1
                self.isRecovering = false
                self.logger.info("reconnected to the broker", metadata: ["amqp.reconnects": "\(self.reconnectCount)"])
                return
            } catch let error as AMQPError where error.code == .authenticationFailed || error.code == .accessRefused {
                self.logger.error("reconnecting failed for good", metadata: [AMQPLogging.error: "\(error)"])
                self.fatalError = error
                self.isRecovering = false
                for (_, record) in self.consumers { record.sink.finish(throwing: error) }
                self.consumers = [:]
                return
            } catch {
                self.logger.debug("reconnect attempt failed", metadata: [AMQPLogging.error: "\(error)", AMQPLogging.retryDelay: "\(delay)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, self.policy.maximumDelay)
            }
        }
        self.isRecovering = false
    }

    /// Declares the topology again and restarts every consumer on the new connection.
    private func restore(on connection: AMQPConnection) async throws {
        guard let control = self.control else { return }
        let renames = try await self.topology.replay(on: control)
        for (old, new) in renames {
            self.topology.rename(queue: old, to: new)
            for (tag, record) in self.consumers where record.queue == old { self.consumers[tag]?.queue = new }
        }
        for tag in self.consumers.keys.sorted() { try await self.startConsumer(tag, on: connection) }
    }

    /// The open connection and its control channel, waiting for a reconnection if needed.
    func ready() async throws -> (AMQPConnection, AMQPChannel) {
        let deadline = ContinuousClock.now + self.policy.operationWaitTimeout
        while true {
            if let fatalError { throw fatalError }
            if self.isClosed { throw AMQPError(.connectionClosed, message: "the connection was closed by the client") }
            if let connection, let control, connection.isOpen { return (connection, control) }
            if let connection, !connection.isOpen { self.connectionLost(generation: self.generation) }
            guard ContinuousClock.now < deadline else {
                throw AMQPError(.connectionClosed, message: "not reconnected to the broker within \(self.policy.operationWaitTimeout)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Runs `body` on the control channel; replaces the channel when the broker closed it.
    func withControlChannel<Value: Sendable>(_ body: (AMQPChannel) async throws -> Value) async throws -> Value {
        let (connection, control) = try await self.ready()
        do {
            return try await body(control)
        } catch let error as AMQPError where error.code == .channelClosed {
            if connection.isOpen, self.control === control, let fresh = try? await connection.openChannel() {
                if self.publisherConfirms { try? await fresh.confirmSelect() }
                if self.control === control { self.control = fresh }
            }
            throw error
        }
    }
}
