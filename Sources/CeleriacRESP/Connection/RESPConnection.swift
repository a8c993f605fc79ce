import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// One connection to a Redis server: commands are pipelined, replies matched to them in order.
///
/// Any number of tasks may send on one connection at once; each command is written as soon as it is sent and
/// gets its own reply. A server error reply fails only its command; a protocol error, a command timeout or a
/// closed connection fails every pending command with a ``RESPError`` and closes the connection, which then fails
/// new commands at once. Cancelling a task fails its command with ``RESPError/Code/cancelled``: the reply is
/// discarded when it comes, except for blocking commands (``RESPCommand/isBlocking``), where the connection is
/// closed so a popped value can't be lost.
///
/// Most code uses ``RESPClient``, which pools connections and reconnects; use a connection directly for its
/// lifetime control, or inside ``RESPClient/withDedicatedConnection(isolation:_:)``.
public final class RESPConnection: Sendable {
    let channel: any Channel
    let configuration: RESPClient.Configuration
    let logger: Logger
    private let nextID = Atomic<UInt64>(1)
    private let negotiatedVersion = Mutex(RESPProtocolVersion.resp2)

    init(channel: any Channel, configuration: RESPClient.Configuration, logger: Logger) {
        self.channel = channel
        self.configuration = configuration
        self.logger = logger
    }

    /// The event loop the connection's channel runs on.
    public var eventLoop: any EventLoop { self.channel.eventLoop }

    /// Whether the connection is open; once `false`, every command fails at once.
    public var isActive: Bool { self.channel.isActive }

    /// Completes when the connection has closed.
    public var closeFuture: EventLoopFuture<Void> { self.channel.closeFuture }

    /// The protocol the server agreed to: ``RESPProtocolVersion/resp3`` after a successful `HELLO 3`.
    public var protocolVersion: RESPProtocolVersion { self.negotiatedVersion.withLock { $0 } }

    /// Connects to a server and runs the handshake: `HELLO 3` if RESP3 is asked, `AUTH`, `CLIENT SETNAME`,
    /// `SELECT`, as configured.
    /// - Parameters:
    ///   - host: The server's host name or IP address.
    ///   - port: The server's port.
    ///   - configuration: Credentials, database, TLS and timeouts; the endpoint and pool settings are ignored.
    ///   - eventLoopGroup: The event loops to run on.
    ///   - logger: The logger for connection events.
    /// - Returns: The ready connection.
    /// - Throws: ``RESPError``: ``RESPError/Code/connectionFailed``, ``RESPError/Code/connectTimeout``,
    ///   ``RESPError/Code/tlsConfiguration``, or ``RESPError/Code/serverError`` (for example `WRONGPASS`).
    public static func connect(
        host: String,
        port: Int,
        configuration: RESPClient.Configuration = .init(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) async throws -> RESPConnection {
        let tlsContext = try configuration.tls.makeContext()
        return try await self.connect(
            to: .init(host: host, port: port),
            configuration: configuration,
            tlsContext: tlsContext,
            eventLoopGroup: eventLoopGroup,
            logger: logger
        )
    }

    static func connect(
        to address: RESPClient.Configuration.Address,
        configuration: RESPClient.Configuration,
        tlsContext: NIOSSLContext?,
        isSubscriber: Bool = false,
        messages: AsyncThrowingStream<RESPPubSubMessage, any Error>.Continuation? = nil,
        eventLoopGroup: any EventLoopGroup,
        logger: Logger
    ) async throws -> RESPConnection {
        let deadline = NIODeadline.now() + TimeAmount(configuration.connectTimeout)
        var logger = logger
        logger[metadataKey: RESPLogging.server] = "\(address)"
        let handlerLogger = logger
        let serverName = configuration.tls.serverName ?? (Self.isIPAddress(address.host) ? nil : address.host)
        let bootstrap = ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .channelOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: address.host, port: address.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tlsContext {
                        let tls = try NIOSSLClientHandler(context: tlsContext, serverHostname: serverName)
                        try channel.pipeline.syncOperations.addHandler(tls)
                    }
                    let handler = RESPChannelHandler(
                        isSubscriber: isSubscriber,
                        messages: messages,
                        decoderLimits: configuration.decoderLimits,
                        logger: handlerLogger
                    )
                    try channel.pipeline.syncOperations.addHandler(handler)
                    return channel
                }
            }
        } catch {
            if let channelError = error as? ChannelError, case .connectTimeout = channelError {
                throw RESPError(.connectTimeout, message: "connecting to \(address) timed out", underlying: error)
            }
            throw RESPError(.connectionFailed, message: "could not connect to \(address)", underlying: error)
        }
        let connection = RESPConnection(channel: channel, configuration: configuration, logger: logger)
        do {
            try await connection.handshake(deadline: deadline)
        } catch let error as RESPError {
            await connection.close()
            switch error.code {
            case .serverError, .cancelled: throw error
            case .commandTimeout:
                throw RESPError(.connectTimeout, message: "the handshake with \(address) timed out")
            default:
                let message = "the connection to \(address) failed during the handshake"
                throw RESPError(.connectionFailed, message: message, underlying: error.underlying ?? error)
            }
        } catch {
            await connection.close()
            throw error
        }
        logger.debug("connected", metadata: [RESPLogging.protocolVersion: "\(connection.protocolVersion)"])
        return connection
    }

    /// Sends one command and waits for its reply.
    /// - Parameters:
    ///   - command: The command.
    ///   - timeout: How long to wait for the reply; `nil` uses the configured command timeout (plus the blocking
    ///     time of a blocking command, or no limit if it blocks forever).
    /// - Returns: The reply; never an ``RESPValue/error(_:)``.
    /// - Throws: ``RESPError``: ``RESPError/Code/serverError`` for an error reply, or a connection-level code.
    @discardableResult
    public func send(_ command: RESPCommand, timeout: Duration? = nil) async throws -> RESPValue {
        try await self.submit(
            [command],
            kind: .single,
            timeout: self.timeout(for: [command], override: timeout),
            closeOnCancel: command.isBlocking,
            promise: RESPPromise.single
        )
    }

    /// Sends several commands in one write and waits for all their replies.
    /// - Parameters:
    ///   - commands: The commands, sent in order.
    ///   - timeout: How long to wait for all replies; `nil` uses the configured command timeout.
    /// - Returns: One reply per command, in order; error replies are returned as ``RESPValue/error(_:)`` values.
    /// - Throws: ``RESPError`` when the connection fails, times out or closes.
    public func pipeline(_ commands: [RESPCommand], timeout: Duration? = nil) async throws -> [RESPValue] {
        guard !commands.isEmpty else { return [] }
        return try await self.submit(
            commands,
            kind: .pipeline(count: commands.count),
            timeout: self.timeout(for: commands, override: timeout),
            closeOnCancel: commands.contains(where: \.isBlocking),
            promise: RESPPromise.multiple
        )
    }

    /// Closes the connection; pending commands fail with ``RESPError/Code/connectionClosed``.
    public func close() async {
        self.channel.close(mode: .all, promise: nil)
        try? await self.channel.closeFuture.get()
    }

    /// Sends a pub/sub command and waits for its confirmations.
    func pubSub(_ operation: RESPPubSubOperation, _ names: [String], timeout: Duration? = nil) async throws {
        let command = RESPCommand(operation.commandName, arguments: names.map { .string($0) })
        let _: [RESPValue] = try await self.submit(
            [command],
            kind: .subscription(operation, count: names.isEmpty ? nil : names.count),
            timeout: self.timeout(for: [command], override: timeout),
            closeOnCancel: false,
            promise: RESPPromise.multiple
        )
    }

    func send(_ command: RESPCommand, deadline: NIODeadline) async throws -> RESPValue {
        let timeout = deadline - .now()
        return try await self.submit([command], kind: .single, timeout: timeout, closeOnCancel: false, promise: RESPPromise.single)
    }

    func pipeline(_ commands: [RESPCommand], deadline: NIODeadline) async throws -> [RESPValue] {
        try await self.submit(
            commands,
            kind: .pipeline(count: commands.count),
            timeout: deadline - .now(),
            closeOnCancel: false,
            promise: RESPPromise.multiple
        )
    }

    /// Starts closing the connection without waiting.
    func closeSoon() {
        self.channel.close(mode: .all, promise: nil)
    }

    func setProtocolVersion(_ version: RESPProtocolVersion) {
        self.negotiatedVersion.withLock { $0 = version }
    }

    private func submit<Value>(
        _ commands: [RESPCommand],
        kind: RESPConnectionStateMachine<RESPPromise>.RequestKind,
        timeout: TimeAmount?,
        closeOnCancel: Bool,
        promise makePromise: (CheckedContinuation<Value, any Error>) -> RESPPromise
    ) async throws -> Value {
        let token = RESPRequestToken(id: self.nextID.wrappingAdd(1, ordering: .relaxed).oldValue)
        let channel = self.channel
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
                let promise = makePromise(continuation)
                let outbound = RESPOutboundRequest(
                    commands: commands,
                    kind: kind,
                    timeout: timeout,
                    closeOnCancel: closeOnCancel,
                    promise: promise,
                    token: token
                )
                // The handler completes the write promise as soon as it owns the request; a failure means the
                // request never reached it (the channel is closed), so the continuation is still ours to resume.
                let written = channel.eventLoop.makePromise(of: Void.self)
                written.futureResult.whenFailure { error in
                    var failure = RESPError(.connectionClosed, message: "the connection is closed", underlying: error)
                    failure.wasNotSent = true
                    promise.fail(failure)
                }
                channel.writeAndFlush(outbound, promise: written)
            }
        } onCancel: {
            token.cancel()
            channel.triggerUserOutboundEvent(RESPCancelEvent(id: token.id), promise: nil)
        }
    }

    private func timeout(for commands: [RESPCommand], override: Duration?) -> TimeAmount? {
        if let override { return TimeAmount(override) }
        guard let base = self.configuration.commandTimeout else { return nil }
        var blocking = Duration.zero
        for command in commands where command.isBlocking {
            guard let time = command.blockingTimeout else { return nil }
            blocking = max(blocking, time)
        }
        return TimeAmount(base + blocking)
    }

    private static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }
}
