import Logging
import NIOCore
import NIOPosix

/// A Redis client: a small pool of pipelined command connections, dedicated connections for blocking commands
/// and transactions, and subscriber connections for pub/sub.
///
/// Connections open lazily and reopen after failures with exponential backoff; Sentinel endpoints resolve the
/// master for every new connection, and a `READONLY` error (the master was demoted) closes the connection so the
/// next command finds the new master. A command whose connection breaks fails with a ``RESPError`` (it isn't
/// retried, since it may have run); a command that never reached the server is retried on another connection.
///
/// ```swift
/// let client = RESPClient(configuration: try .init(url: "redis://localhost:6379/0"), logger: logger)
/// try await client.send(RESPCommand("SET", "key", "value"))
/// let value = try await client.send(RESPCommand("GET", "key")).string
/// let popped = try await client.withDedicatedConnection { try await $0.send(RESPCommand("BRPOP", "queue", 1)) }
/// await client.close()
/// ```
public final class RESPClient: Sendable {
    /// The configuration the client was created with.
    public let configuration: Configuration
    let pool: RESPConnectionPool
    private let logger: Logger

    /// Creates a client; nothing connects until the first request.
    /// - Parameters:
    ///   - configuration: Server, credentials, TLS, timeouts and pool size.
    ///   - eventLoopGroup: The event loops connections run on.
    ///   - logger: The logger for connection events (debug level and below).
    public init(
        configuration: Configuration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        self.configuration = configuration
        self.logger = logger
        let factory = RESPConnectionFactory(configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger)
        self.pool = RESPConnectionPool(factory: factory)
    }

    /// Sends one command on a shared connection, or on a dedicated one if it is a blocking command
    /// (``RESPCommand/isBlocking``), so that it can't hold up other tasks' commands.
    /// - Parameters:
    ///   - command: The command.
    ///   - timeout: How long to wait for the reply; `nil` uses ``Configuration/commandTimeout`` (plus the
    ///     blocking time of a blocking command).
    /// - Returns: The reply; never an ``RESPValue/error(_:)``.
    /// - Throws: ``RESPError``: ``RESPError/Code/serverError`` for an error reply, or a connection-level code.
    @discardableResult
    public func send(_ command: RESPCommand, timeout: Duration? = nil) async throws -> RESPValue {
        if command.isBlocking {
            return try await self.withDedicatedConnection { try await $0.send(command, timeout: timeout) }
        }
        return try await self.withSharedConnection { try await $0.send(command, timeout: timeout) }
    }

    /// Sends one command built from a name and arguments on a shared connection.
    /// - Parameters:
    ///   - name: The command's name.
    ///   - arguments: Its arguments.
    /// - Returns: The reply.
    /// - Throws: ``RESPError``, as ``send(_:timeout:)``.
    @discardableResult
    public func send(_ name: String, _ arguments: RESPCommand.Argument...) async throws -> RESPValue {
        try await self.send(RESPCommand(name, arguments: arguments))
    }

    /// Sends several commands in one write on a shared connection (a dedicated one if any is blocking) and waits
    /// for all replies.
    /// - Parameters:
    ///   - commands: The commands, in order. `MULTI` ... `EXEC` in one pipeline runs as one transaction.
    ///   - timeout: How long to wait for all replies; `nil` uses ``Configuration/commandTimeout``.
    /// - Returns: One reply per command; error replies are ``RESPValue/error(_:)`` values.
    /// - Throws: ``RESPError`` when the connection fails, times out or closes.
    public func pipeline(_ commands: [RESPCommand], timeout: Duration? = nil) async throws -> [RESPValue] {
        if commands.contains(where: \.isBlocking) {
            return try await self.withDedicatedConnection { try await $0.pipeline(commands, timeout: timeout) }
        }
        return try await self.withSharedConnection { try await $0.pipeline(commands, timeout: timeout) }
    }

    /// Runs `body` with a connection no one else uses meanwhile: for blocking pops (`BRPOP`, `BLMPOP`), `WATCH`
    /// transactions, or anything that changes connection state.
    ///
    /// The connection returns to an idle list afterwards if it is still open; leave it as you found it (same
    /// database, no `WATCH`). If the task is cancelled during a blocking command, the connection is closed and
    /// not reused.
    /// - Parameters:
    ///   - isolation: The caller's actor, inferred.
    ///   - body: The work to do with the connection.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws, or a ``RESPError`` if no connection could be opened.
    public func withDedicatedConnection<Value>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (RESPConnection) async throws -> Value
    ) async throws -> Value {
        let connection = try await self.pool.leaseDedicated()
        do {
            let value = try await body(connection)
            await self.pool.releaseDedicated(connection, reusable: true)
            return value
        } catch {
            let reusable = (error as? RESPError)?.code == .serverError
            await self.pool.releaseDedicated(connection, reusable: reusable)
            throw error
        }
    }

    /// Opens a connection for pub/sub: subscribe, then read ``RESPSubscriber/messages``.
    /// - Returns: The subscriber; close it when done.
    /// - Throws: ``RESPError`` if no connection could be opened.
    public func subscriber() async throws -> RESPSubscriber {
        let (connection, messages) = try await self.pool.makeSubscriberConnection()
        return RESPSubscriber(connection: connection, messages: messages, pool: self.pool)
    }

    /// Runs until the calling task is cancelled, then closes the client: a `run()` for service groups.
    public func run() async {
        let (stream, continuation) = AsyncStream<Never>.makeStream()
        await withTaskCancellationHandler {
            for await _ in stream {}
        } onCancel: {
            continuation.finish()
        }
        await self.close()
    }

    /// Closes every connection; pending commands fail, later ones throw ``RESPError/Code/clientClosed``.
    public func close() async {
        await self.pool.close()
    }

    private func withSharedConnection<Value: Sendable>(
        _ body: (RESPConnection) async throws -> Value
    ) async throws -> Value {
        var attempt = 1
        while true {
            let connection = try await self.pool.commandConnection()
            do {
                return try await body(connection)
            } catch let error as RESPError where error.wasNotSent && attempt < self.configuration.reconnect.attemptsPerCommand {
                attempt += 1
                self.logger.trace("retrying a command that never reached the server")
            } catch let error as RESPError where error.serverErrorPrefix == "READONLY" && self.configuration.endpoint.masterName != nil {
                // Sentinel failed the master over and this server is a replica now: reconnect through Sentinel.
                connection.closeSoon()
                throw error
            }
        }
    }
}
