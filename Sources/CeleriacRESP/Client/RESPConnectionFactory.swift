import Logging
import NIOCore
import NIOSSL
import Synchronization

/// Opens connections for a ``RESPClient``: resolves the master through Sentinel if asked, connects, handshakes.
final class RESPConnectionFactory: Sendable {
    let configuration: RESPClient.Configuration
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    private let tlsContext = Mutex<NIOSSLContext?>(nil)
    /// The index of the failover list's server that last accepted a connection.
    private let preferredServer = Mutex(0)

    init(configuration: RESPClient.Configuration, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// Opens one ready connection.
    /// - Parameters:
    ///   - isSubscriber: Whether the connection is for pub/sub.
    ///   - messages: Where a subscriber connection's messages go.
    func makeConnection(
        isSubscriber: Bool = false,
        messages: AsyncThrowingStream<RESPPubSubMessage, any Error>.Continuation? = nil
    ) async throws -> RESPConnection {
        let address: RESPClient.Configuration.Address
        switch self.configuration.endpoint.base {
        case .server(let server):
            address = server
        case .failover(let servers):
            return try await self.connectToFirstReachable(servers, isSubscriber: isSubscriber, messages: messages)
        case .sentinel(let nodes, let masterName, let username, let password):
            address = try await self.askSentinels(nodes, masterName: masterName, username: username, password: password)
        }
        return try await self.connect(to: address, isSubscriber: isSubscriber, messages: messages)
    }

    /// Tries the servers of a failover list in turn, starting with the one that last worked.
    ///
    /// A subscriber connection tries one server only (a failed handshake finishes the message stream it was
    /// given) and moves the preference to the next server, so the pool's next attempt, with a fresh stream,
    /// goes there.
    private func connectToFirstReachable(
        _ servers: [RESPClient.Configuration.Address],
        isSubscriber: Bool,
        messages: AsyncThrowingStream<RESPPubSubMessage, any Error>.Continuation?
    ) async throws -> RESPConnection {
        let start = self.preferredServer.withLock { $0 } % servers.count
        var lastError: (any Error)?
        for offset in 0..<(messages == nil ? servers.count : 1) {
            let index = (start + offset) % servers.count
            do {
                let connection = try await self.connect(to: servers[index], isSubscriber: isSubscriber, messages: messages)
                if offset > 0 {
                    self.logger.info("failed over to the next Redis server", metadata: [RESPLogging.server: "\(servers[index])"])
                }
                self.preferredServer.withLock { $0 = index }
                return connection
            } catch let error as RESPError where [.connectionFailed, .connectTimeout, .connectionClosed].contains(error.code) {
                self.logger.debug("Redis server unreachable", metadata: [RESPLogging.server: "\(servers[index])", RESPLogging.error: "\(error)"])
                self.preferredServer.withLock { $0 = (index + 1) % servers.count }
                lastError = error
            }
        }
        throw lastError ?? RESPError(.connectionFailed, message: "no server to connect to")
    }

    private func connect(
        to address: RESPClient.Configuration.Address,
        isSubscriber: Bool,
        messages: AsyncThrowingStream<RESPPubSubMessage, any Error>.Continuation?
    ) async throws -> RESPConnection {
        let connection = try await RESPConnection.connect(
            to: address,
            configuration: self.configuration,
            tlsContext: try self.makeTLSContext(),
            isSubscriber: isSubscriber,
            messages: messages,
            eventLoopGroup: self.eventLoopGroup,
            logger: self.logger
        )
        if case .sentinel(_, let masterName, _, _) = self.configuration.endpoint.base {
            try await self.checkIsMaster(connection, masterName: masterName, address: address)
        }
        return connection
    }

    private func makeTLSContext() throws(RESPError) -> NIOSSLContext? {
        if let context = self.tlsContext.withLock({ $0 }) { return context }
        let context = try self.configuration.tls.makeContext()
        self.tlsContext.withLock { $0 = context }
        return context
    }

    /// Asks each Sentinel in turn for the master's address (`SENTINEL get-master-addr-by-name`).
    private func askSentinels(
        _ nodes: [RESPClient.Configuration.Address],
        masterName: String,
        username: String?,
        password: String?
    ) async throws -> RESPClient.Configuration.Address {
        var sentinelConfiguration = RESPClient.Configuration(host: "", port: 0)
        sentinelConfiguration.username = username
        sentinelConfiguration.password = password
        sentinelConfiguration.connectTimeout = self.configuration.connectTimeout
        sentinelConfiguration.commandTimeout = self.configuration.connectTimeout
        var lastError: (any Error)?
        for node in nodes {
            do {
                let sentinel = try await RESPConnection.connect(
                    to: node,
                    configuration: sentinelConfiguration,
                    tlsContext: nil,
                    eventLoopGroup: self.eventLoopGroup,
                    logger: self.logger
                )
                let value: RESPValue
                do {
                    value = try await sentinel.send(RESPCommand("SENTINEL", "get-master-addr-by-name", .string(masterName)))
                } catch {
                    await sentinel.close()
                    throw error
                }
                await sentinel.close()
                guard let items = value.elements, items.count == 2, let host = items[0].string, let port = items[1].int
                else {
                    lastError = RESPError(.sentinelFailure, message: "Sentinel \(node) doesn't know master '\(masterName)'")
                    continue
                }
                self.logger.debug("Sentinel named the master", metadata: [RESPLogging.server: "\(host):\(port)"])
                return .init(host: host, port: port)
            } catch {
                self.logger.debug("Sentinel failed", metadata: [RESPLogging.server: "\(node)", RESPLogging.error: "\(error)"])
                lastError = error
            }
        }
        throw RESPError(.sentinelFailure, message: "no Sentinel could name master '\(masterName)'", underlying: lastError)
    }

    /// Checks with `ROLE` that the server Sentinel named is still a master (it may have been demoted since).
    private func checkIsMaster(
        _ connection: RESPConnection,
        masterName: String,
        address: RESPClient.Configuration.Address
    ) async throws {
        let role: RESPValue
        do {
            role = try await connection.send(RESPCommand("ROLE"))
        } catch let error as RESPError where error.code == .serverError {
            return  // ROLE may be denied by an ACL; trust the Sentinel.
        } catch {
            await connection.close()
            throw error
        }
        guard role.elements?.first?.string == "master" else {
            await connection.close()
            throw RESPError(.sentinelFailure, message: "\(address), named master of '\(masterName)', is not a master")
        }
    }
}
