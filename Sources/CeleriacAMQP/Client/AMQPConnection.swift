import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// One connection to an AMQP 0-9-1 broker (RabbitMQ), multiplexing any number of ``AMQPChannel``s.
///
/// ```swift
/// let connection = try await AMQPConnection.open(configuration: try AMQPConfiguration(url: "amqp://localhost//"), logger: logger)
/// let channel = try await connection.openChannel()
/// try await channel.declareQueue("tasks", durable: true)
/// try await channel.publish(ByteBuffer(string: "hello"), routingKey: "tasks")
/// await connection.close()
/// ```
///
/// A connection does not reconnect; ``AMQPReconnectingConnection`` does, and recovers its topology and consumers.
/// When the connection breaks, every pending operation fails with an ``AMQPError``, consumers' sequences end with
/// it, and new operations fail at once.
public final class AMQPConnection: Sendable {
    let channel: any Channel
    let configuration: AMQPConfiguration
    let logger: Logger
    /// The limits agreed with the broker, and its properties.
    public let negotiated: AMQPNegotiatedParameters
    private let state: AMQPConnectionEvents

    init(channel: any Channel, configuration: AMQPConfiguration, negotiated: AMQPNegotiatedParameters, state: AMQPConnectionEvents, logger: Logger) {
        self.channel = channel
        self.configuration = configuration
        self.negotiated = negotiated
        self.state = state
        self.logger = logger
    }

    /// The event loop the connection runs on.
    public var eventLoop: any EventLoop { self.channel.eventLoop }
    /// Whether the socket is still open.
    public var isOpen: Bool { self.channel.isActive }
    /// Completes when the connection has closed, for whatever reason.
    public var closeFuture: EventLoopFuture<Void> { self.channel.closeFuture }
    /// Why the broker blocked publishing (`connection.blocked`), or `nil` when it is not blocked.
    public var blockedReason: String? { self.state.blockedReason }
    /// `connection.blocked` and `connection.unblocked` as they arrive (one listener; events before the first
    /// iteration are buffered).
    public var events: AsyncStream<AMQPConnectionEvent> { self.state.stream }

    /// Connects, runs the AMQP handshake (protocol header, login, tuning, virtual host) and returns the open
    /// connection.
    /// - Parameters:
    ///   - configuration: The broker, login, virtual host, TLS, tuning and timeouts.
    ///   - eventLoopGroup: The event loops to run on.
    ///   - logger: The logger for connection events (at debug level and below, except blocked/unblocked at info).
    /// - Returns: The open connection.
    /// - Throws: ``AMQPError``: ``AMQPError/Code/connectionFailed``, ``AMQPError/Code/connectTimeout``,
    ///   ``AMQPError/Code/authenticationFailed`` (wrong user or password), ``AMQPError/Code/accessRefused`` (missing
    ///   or forbidden virtual host), ``AMQPError/Code/tlsConfiguration`` or ``AMQPError/Code/protocolError``.
    public static func open(
        configuration: AMQPConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) async throws -> AMQPConnection {
        let tlsContext = try configuration.tls.makeContext()
        var logger = logger
        logger[metadataKey: AMQPLogging.server] = "\(configuration.endpointDescription)"
        logger[metadataKey: AMQPLogging.vhost] = "\(configuration.virtualHost)"
        let handlerLogger = logger
        let deadline = NIODeadline.now() + TimeAmount(configuration.connectTimeout)
        let events = AMQPConnectionEvents()
        let serverName = configuration.tls.serverName ?? (Self.isIPAddress(configuration.host) ? nil : configuration.host)
        let bootstrap = ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .channelOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
        let channel: any Channel
        let opened: EventLoopFuture<AMQPNegotiatedParameters>
        do {
            (channel, opened) = try await bootstrap.connect(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tlsContext {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tlsContext, serverHostname: serverName))
                    }
                    let promise = channel.eventLoop.makePromise(of: AMQPNegotiatedParameters.self)
                    let handler = AMQPChannelHandler(
                        options: configuration.stateMachineOptions,
                        maximumBodySize: configuration.maximumBodySize,
                        openPromise: promise,
                        onEvent: { events.record($0) },
                        logger: handlerLogger
                    )
                    try channel.pipeline.syncOperations.addHandler(handler)
                    return (channel, promise.futureResult)
                }
            }
        } catch {
            if let channelError = error as? ChannelError, case .connectTimeout = channelError {
                throw AMQPError(.connectTimeout, message: "connecting to \(configuration.endpointDescription) timed out", underlying: error)
            }
            throw AMQPError(.connectionFailed, message: "could not connect to \(configuration.endpointDescription)", underlying: error)
        }
        let timeout = channel.eventLoop.scheduleTask(deadline: deadline) { channel.close(promise: nil) }
        do {
            let negotiated = try await opened.get()
            timeout.cancel()
            channel.closeFuture.whenComplete { _ in events.finish() }
            logger.debug("connected", metadata: ["amqp.frame_max": "\(negotiated.frameMax)", "amqp.heartbeat": "\(negotiated.heartbeat)"])
            return AMQPConnection(channel: channel, configuration: configuration, negotiated: negotiated, state: events, logger: logger)
        } catch {
            timeout.cancel()
            channel.close(promise: nil)
            if NIODeadline.now() >= deadline {
                throw AMQPError(.connectTimeout, message: "the AMQP handshake with \(configuration.endpointDescription) timed out")
            }
            if let error = error as? AMQPError, error.code != .connectionClosed { throw error }
            throw AMQPError(
                .connectionFailed, message: "the connection to \(configuration.endpointDescription) failed during the handshake", underlying: error
            )
        }
    }

    /// Opens a new channel.
    /// - Returns: The open channel.
    /// - Throws: ``AMQPError`` when the connection is closed or no channel number is free.
    public func openChannel() async throws -> AMQPChannel {
        let promise = self.eventLoop.makePromise(of: UInt16.self)
        self.write(.openChannel(promise)) { promise.fail($0) }
        let id = try await self.wait(for: promise.futureResult, what: "channel.open")
        return AMQPChannel(id: id, connection: self)
    }

    /// Closes the connection cleanly (`connection.close`, then the socket); pending operations fail with
    /// ``AMQPError/Code/connectionClosed``, consumer sequences end.
    public func close() async {
        let promise = self.eventLoop.makePromise(of: Void.self)
        self.write(.closeConnection(promise)) { _ in promise.succeed(()) }
        try? await promise.futureResult.get()
        try? await self.channel.closeFuture.get()
    }

    // MARK: Internals for channels

    func write(_ command: AMQPCommand, onFailure: @escaping @Sendable (AMQPError) -> Void) {
        self.channel.writeAndFlush(command).whenFailure { error in
            onFailure(AMQPError(.connectionClosed, message: "the connection is closed", underlying: error))
        }
    }

    func call(_ method: AMQPMethod, on channelID: UInt16) async throws -> AMQPReply {
        let promise = self.eventLoop.makePromise(of: AMQPReply.self)
        self.write(.call(channel: channelID, method: method, promise: promise)) { promise.fail($0) }
        return try await self.wait(for: promise.futureResult, what: method.name)
    }

    /// Waits for a reply; after the operation timeout, closes the connection (the reply stream can't be trusted
    /// any more) and throws ``AMQPError/Code/timeout``. Cancelling the task throws `CancellationError` at once; the
    /// operation itself may still take effect (its reply is discarded when it comes).
    func wait<Value: Sendable>(for future: EventLoopFuture<Value>, what: String) async throws -> Value {
        let relay = self.eventLoop.makePromise(of: Value.self)
        future.cascade(to: relay)  // completing a completed promise is a no-op, so cancel and reply may race
        return try await withTaskCancellationHandler {
            try await self.waitWithTimeout(for: relay.futureResult, what: what)
        } onCancel: {
            relay.fail(CancellationError())
        }
    }

    private func waitWithTimeout<Value: Sendable>(for future: EventLoopFuture<Value>, what: String) async throws -> Value {
        guard let limit = self.configuration.operationTimeout else { return try await future.get() }
        let timedOut = Mutex(false)
        let channel = self.channel
        let task = self.eventLoop.scheduleTask(in: TimeAmount(limit)) {
            timedOut.withLock { $0 = true }
            channel.close(promise: nil)
        }
        do {
            let value = try await future.get()
            task.cancel()
            return value
        } catch {
            task.cancel()
            if timedOut.withLock({ $0 }) {
                throw AMQPError(.timeout, message: "no reply to \(what) within \(limit); the connection was closed")
            }
            throw error
        }
    }

    private static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }
}

/// Blocked/unblocked state shared between the handler (writer) and the connection (readers).
final class AMQPConnectionEvents: Sendable {
    private let reason = Mutex<String?>(nil)
    let stream: AsyncStream<AMQPConnectionEvent>
    private let continuation: AsyncStream<AMQPConnectionEvent>.Continuation

    init() {
        (self.stream, self.continuation) = AsyncStream.makeStream(of: AMQPConnectionEvent.self, bufferingPolicy: .bufferingNewest(16))
    }

    var blockedReason: String? { self.reason.withLock { $0 } }

    func record(_ event: AMQPConnectionEvent) {
        switch event {
        case .blocked(let reason): self.reason.withLock { $0 = reason }
        case .unblocked: self.reason.withLock { $0 = nil }
        }
        self.continuation.yield(event)
    }

    func finish() {
        self.continuation.finish()
    }
}
