import Logging

/// Where and how an ``AMQPConnection`` connects: the broker, the login, the virtual host, TLS, tuning and timeouts.
///
/// ```swift
/// var configuration = try AMQPConfiguration(url: "amqp://guest:guest@localhost:5672//")
/// configuration.heartbeat = .seconds(30)
/// let connection = try await AMQPConnection.open(configuration: configuration, logger: logger)
/// ```
public struct AMQPConfiguration: Sendable {
    /// How the client logs in.
    public enum AuthenticationMechanism: String, Hashable, Sendable {
        /// `PLAIN`: `\0user\0password` (kombu's default `login_method`).
        case plain = "PLAIN"
        /// `AMQPLAIN`: a field table `LOGIN`/`PASSWORD` (bare py-amqp's default).
        case amqplain = "AMQPLAIN"

        /// The name sent in `connection.start-ok`.
        public var name: String { self.rawValue }
    }

    /// The broker's host name or IP address. Default `localhost`.
    public var host: String = "localhost"
    /// The broker's port. Default 5672 (5671 for `amqps://`).
    public var port: Int = 5672
    /// The user name. Default `guest`.
    public var username: String = "guest"
    /// The password. Default `guest`. Never logged.
    public var password: String = "guest"
    /// The virtual host. Default `/`.
    public var virtualHost: String = "/"
    /// The login mechanism. Default ``AuthenticationMechanism/plain``.
    public var mechanism: AuthenticationMechanism = .plain
    /// TLS settings; ``TLS/disabled`` by default, on for `amqps://`.
    public var tls: TLS = .disabled
    /// How long connecting plus the AMQP handshake may take. Default 10 s.
    public var connectTimeout: Duration = .seconds(10)
    /// How long a synchronous method (declare, bind, consume, qos, get, close, ...) may wait for its reply before
    /// the connection is closed. `nil`: no limit. Default 30 s.
    public var operationTimeout: Duration? = .seconds(30)
    /// The heartbeat interval to ask for; the smaller of this and the broker's wins, `.zero` turns heartbeats off.
    /// Default 60 s.
    public var heartbeat: Duration = .seconds(60)
    /// The largest frame to ask for, in bytes; the smaller of this and the broker's wins. Default 131072.
    public var frameMax: UInt32 = 131_072
    /// The highest channel number to ask for; 0 takes the broker's (py-amqp does the same). Default 0.
    public var channelMax: UInt16 = 0
    /// The largest message body accepted from the broker, in bytes; a larger one closes the connection with a
    /// protocol error instead of exhausting memory. Default 512 MiB (RabbitMQ's own maximum).
    public var maximumBodySize: UInt64 = 512 * 1024 * 1024
    /// Extra client properties sent in `connection.start-ok` (shown by `rabbitmqctl list_connections`).
    public var clientProperties: AMQPTable = ["product": "celeriac", "platform": "Swift"]

    /// A configuration for `host:port` with the defaults.
    /// - Parameters:
    ///   - host: The broker's host.
    ///   - port: The broker's port.
    public init(host: String = "localhost", port: Int = 5672) {
        self.host = host
        self.port = port
    }

    /// The heartbeat in whole seconds as sent in `connection.tune-ok`.
    var heartbeatSeconds: UInt16 {
        let seconds = self.heartbeat.components.seconds + (self.heartbeat.components.attoseconds > 0 ? 1 : 0)
        return UInt16(clamping: max(0, seconds))
    }

    /// `host:port` for logs.
    var endpointDescription: String { "\(self.host):\(self.port)" }

    var stateMachineOptions: AMQPConnectionStateMachine.Options {
        .init(
            username: self.username, password: self.password, virtualHost: self.virtualHost, mechanism: self.mechanism,
            channelMax: self.channelMax, frameMax: self.frameMax, heartbeat: self.heartbeatSeconds,
            clientProperties: self.clientProperties
        )
    }
}
