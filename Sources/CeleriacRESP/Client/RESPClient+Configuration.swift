import NIOCore

/// The RESP protocol version a connection asks for with `HELLO`.
public struct RESPProtocolVersion: Hashable, Sendable, CustomStringConvertible {
    /// The version number sent in `HELLO`.
    public let rawValue: Int

    /// RESP2: no `HELLO`; every Redis version speaks it.
    public static let resp2 = RESPProtocolVersion(rawValue: 2)
    /// RESP3 (Redis 6 and later): `HELLO 3`, falling back to RESP2 when the server doesn't know `HELLO`.
    public static let resp3 = RESPProtocolVersion(rawValue: 3)

    /// `RESP2` or `RESP3`.
    public var description: String { "RESP\(self.rawValue)" }
}

extension RESPClient {
    /// Where and how a ``RESPClient`` connects: server or Sentinels, credentials, database, TLS, timeouts, pool.
    ///
    /// ```swift
    /// var configuration = RESPClient.Configuration(host: "localhost", port: 6379)
    /// configuration.password = "secret"
    /// configuration.database = 2
    /// let fromURL = try RESPClient.Configuration(url: "rediss://:secret@redis.example.com:6380/2")
    /// let sentinel = try RESPClient.Configuration(url: "sentinel://s1:26379;sentinel://s2:26379?master_name=mymaster")
    /// ```
    public struct Configuration: Sendable {
        /// The server to connect to, directly or through Redis Sentinel.
        public var endpoint: Endpoint
        /// The database selected with `SELECT` after connecting; `0` sends no `SELECT`. Default 0.
        public var database: Int = 0
        /// The ACL user name; `nil` authenticates as `default` when ``password`` is set. Default `nil`.
        public var username: String?
        /// The password sent with `AUTH` (or `HELLO ... AUTH`); `nil` sends no `AUTH`. Default `nil`.
        public var password: String?
        /// TLS settings; ``TLS/disabled`` by default, ``TLS/verifyFull`` for `rediss://` URLs.
        public var tls: TLS = .disabled
        /// The longest a TCP connect, TLS handshake and `HELLO`/`AUTH`/`SELECT` may take together. Default 10 s.
        public var connectTimeout: Duration = .seconds(10)
        /// The longest a command waits for its reply before its connection is closed; blocking commands get their
        /// own blocking time on top. `nil` waits forever. Default 30 s.
        public var commandTimeout: Duration? = .seconds(30)
        /// How many shared command connections the client keeps, and how many idle dedicated ones. Default 4.
        public var poolSize: Int = 4
        /// The protocol asked for; ``RESPProtocolVersion/resp3`` falls back to RESP2 on old servers. Default RESP2.
        public var protocolVersion: RESPProtocolVersion = .resp2
        /// A name set with `CLIENT SETNAME` (shown by `CLIENT LIST`); `nil` sets none. Default `nil`.
        public var clientName: String?
        /// How fast to retry connecting after failures.
        public var reconnect: Backoff = Backoff()
        /// Size and nesting limits for replies.
        public var decoderLimits: RESPValueDecoder.Limits = .init()

        /// Creates a configuration for one server.
        /// - Parameters:
        ///   - host: The server's host name or IP address.
        ///   - port: The server's port.
        public init(host: String = "localhost", port: Int = 6379) {
            self.endpoint = .server(host: host, port: port)
        }

        /// Creates a configuration for an endpoint.
        /// - Parameter endpoint: A server, or Sentinels and a master name.
        public init(endpoint: Endpoint) {
            self.endpoint = endpoint
        }
    }
}

extension RESPClient.Configuration {
    /// A host and port.
    public struct Address: Hashable, Sendable, CustomStringConvertible {
        /// The host name or IP address.
        public var host: String
        /// The TCP port.
        public var port: Int

        /// Creates an address.
        /// - Parameters:
        ///   - host: The host name or IP address.
        ///   - port: The TCP port.
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// `host:port`, with IPv6 hosts in brackets.
        public var description: String { self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)" }
    }

    /// The server a client talks to: one address, or a master found through Redis Sentinel.
    public struct Endpoint: Hashable, Sendable {
        enum Base: Hashable, Sendable {
            case server(Address)
            case failover([Address])
            case sentinel(nodes: [Address], masterName: String, username: String?, password: String?)
        }

        let base: Base

        /// One Redis server.
        /// - Parameters:
        ///   - host: The server's host name or IP address.
        ///   - port: The server's port.
        public static func server(host: String, port: Int = 6379) -> Endpoint {
            Endpoint(base: .server(Address(host: host, port: port)))
        }

        /// Servers tried in turn (kombu's failover list, `redis://a;redis://b`): a connection goes to the server
        /// that last worked, and to the next one when it cannot be reached.
        /// - Parameter servers: The servers, at least one.
        public static func failover(_ servers: [Address]) -> Endpoint {
            servers.count == 1 ? Endpoint(base: .server(servers[0])) : Endpoint(base: .failover(servers))
        }

        /// The master that Sentinels name: each connection asks the Sentinels in turn with
        /// `SENTINEL get-master-addr-by-name`, then connects to the address given.
        /// - Parameters:
        ///   - nodes: The Sentinels, tried in order.
        ///   - masterName: The monitored master's name (Celery's `master_name` transport option).
        ///   - username: The user for the Sentinels themselves, if they require `AUTH`.
        ///   - password: The password for the Sentinels themselves (Celery's `sentinel_kwargs`), if any.
        public static func sentinel(
            _ nodes: [Address],
            masterName: String,
            username: String? = nil,
            password: String? = nil
        ) -> Endpoint {
            Endpoint(base: .sentinel(nodes: nodes, masterName: masterName, username: username, password: password))
        }

        /// The server's address (the first of a failover list), or `nil` for a Sentinel endpoint.
        public var address: Address? {
            switch self.base {
            case .server(let address): return address
            case .failover(let addresses): return addresses.first
            case .sentinel: return nil
            }
        }

        /// The Sentinels' addresses; empty for a plain server.
        public var sentinels: [Address] {
            if case .sentinel(let nodes, _, _, _) = self.base { return nodes }
            return []
        }

        /// The master's name for a Sentinel endpoint; `nil` for a plain server.
        public var masterName: String? {
            if case .sentinel(_, let name, _, _) = self.base { return name }
            return nil
        }
    }

    /// Exponential backoff between connection attempts.
    public struct Backoff: Hashable, Sendable {
        /// The wait after the first failure. Default 100 ms.
        public var initialDelay: Duration = .milliseconds(100)
        /// The longest wait. Default 2 s: one connection attempt every two seconds is no storm, and a
        /// restarted server is found again quickly.
        public var maximumDelay: Duration = .seconds(2)
        /// The factor between successive waits. Default 2.
        public var multiplier: Double = 2
        /// The fraction of random spread added to each wait, so clients don't reconnect in step. Default 0.2.
        public var jitter: Double = 0.2
        /// How many connection attempts one command makes before failing. Default 3.
        public var attemptsPerCommand: Int = 3
        /// The longest a command waits for the backoff of earlier failures before its own attempt. When the
        /// next attempt is further away, the command fails at once with the last connection error instead of
        /// hanging: callers with their own retry policy (Celery's publish retry, the worker's receive loop)
        /// decide how long to keep trying. Default 250 ms.
        public var maximumCommandWait: Duration = .milliseconds(250)

        /// Creates the default backoff.
        public init() {}

        /// The wait after `failures` consecutive failed attempts.
        /// - Parameter failures: Consecutive failures so far, at least 1.
        /// - Returns: The delay before the next attempt.
        public func delay(afterFailures failures: Int) -> Duration {
            guard failures > 0 else { return .zero }
            let base = Double(self.initialDelay.components.seconds) + Double(self.initialDelay.components.attoseconds) / 1e18
            let cap = Double(self.maximumDelay.components.seconds) + Double(self.maximumDelay.components.attoseconds) / 1e18
            var seconds = min(cap, base * pow(self.multiplier, Double(min(failures - 1, 62))))
            if self.jitter > 0 { seconds *= 1 + Double.random(in: 0...self.jitter) }
            return .milliseconds(Int64(min(seconds, cap * (1 + self.jitter)) * 1000))
        }
    }
}

/// `x` raised to `y`, without Foundation.
private func pow(_ x: Double, _ y: Double) -> Double {
    var result = 1.0
    var n = Int(y)
    while n > 0 {
        result *= x
        n -= 1
    }
    return result
}
