/// An error raised by the AMQP client: a refused login or vhost, a channel or connection the broker closed, a
/// broken or timed-out connection, a malformed frame, or an invalid configuration.
///
/// ``code`` tells the kind; new codes can be added without breaking a `switch`, so compare with `==`. When the
/// broker closed the channel or connection, ``replyCode`` and ``replyText`` carry its reason (for example `404`
/// `NOT_FOUND - no queue 'x' in vhost '/'`). ``description`` never contains a password.
public struct AMQPError: Error, Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The kind of an ``AMQPError``.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case connectionFailed
            case connectTimeout
            case authenticationFailed
            case accessRefused
            case connectionClosed
            case connectionClosedByServer
            case channelClosed
            case protocolError
            case heartbeatTimeout
            case timeout
            case publishNacked
            case consumerCancelled
            case invalidConfiguration
            case tlsConfiguration
            case invalidArgument
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The TCP or TLS connection could not be made.
        public static let connectionFailed = Code(.connectionFailed)
        /// Connecting and the AMQP handshake took longer than the connect timeout.
        public static let connectTimeout = Code(.connectTimeout)
        /// The broker refused the user name or password (`403 ACCESS_REFUSED` during the handshake).
        public static let authenticationFailed = Code(.authenticationFailed)
        /// The broker refused the virtual host (`530 NOT_ALLOWED`: missing vhost or no permission).
        public static let accessRefused = Code(.accessRefused)
        /// The connection closed (by the client, or the socket broke); pending operations fail with this.
        public static let connectionClosed = Code(.connectionClosed)
        /// The broker closed the connection with `connection.close` (see ``replyCode``).
        public static let connectionClosedByServer = Code(.connectionClosedByServer)
        /// The broker closed the channel with `channel.close` (see ``replyCode``), or the channel was closed.
        public static let channelClosed = Code(.channelClosed)
        /// The broker sent bytes that are not valid AMQP 0-9-1, or a frame out of place or too large.
        public static let protocolError = Code(.protocolError)
        /// Nothing came from the broker for two heartbeat intervals.
        public static let heartbeatTimeout = Code(.heartbeatTimeout)
        /// An operation got no reply within its timeout; the connection was closed.
        public static let timeout = Code(.timeout)
        /// The broker answered a publish with `basic.nack` in confirm mode.
        public static let publishNacked = Code(.publishNacked)
        /// The broker cancelled a consumer (`basic.cancel`, for example because its queue was deleted).
        public static let consumerCancelled = Code(.consumerCancelled)
        /// A URL or configuration value is invalid.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// The TLS settings could not be turned into a TLS context.
        public static let tlsConfiguration = Code(.tlsConfiguration)
        /// A value can't be encoded (a short string over 255 bytes, for example).
        public static let invalidArgument = Code(.invalidArgument)

        /// The code's name, such as `channelClosed`.
        public var description: String { self.base.rawValue }
    }

    /// The kind of error.
    public var code: Code
    /// Details written by the client, or the broker's reply text.
    public var message: String?
    /// The broker's reply code when it closed the channel or connection (`404`, `403`, `530`, `406`, ...).
    public var replyCode: UInt16?
    /// The broker's reply text when it closed the channel or connection.
    public var replyText: String?
    /// The error that caused this one, such as a `ChannelError` or an `NIOSSLError`.
    public var underlying: (any Error)?

    /// Creates an error.
    /// - Parameters:
    ///   - code: The kind of error.
    ///   - message: Details; must never contain secrets.
    ///   - replyCode: The broker's reply code, if the broker closed something.
    ///   - replyText: The broker's reply text.
    ///   - underlying: The error that caused this one.
    public init(
        _ code: Code,
        message: String? = nil,
        replyCode: UInt16? = nil,
        replyText: String? = nil,
        underlying: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.replyCode = replyCode
        self.replyText = replyText
        self.underlying = underlying
    }

    /// The code, message and broker reply.
    public var description: String {
        var text = "AMQPError.\(self.code)"
        if let message { text += ": \(message)" }
        if let replyCode { text += " (\(replyCode) \(self.replyText ?? ""))" }
        return text
    }

    /// The description and the underlying error.
    public var debugDescription: String {
        guard let underlying else { return self.description }
        return "\(self.description) (underlying: \(String(reflecting: underlying)))"
    }

    /// Compares code, message and broker reply; the underlying error is ignored.
    public static func == (lhs: AMQPError, rhs: AMQPError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message && lhs.replyCode == rhs.replyCode && lhs.replyText == rhs.replyText
    }

    static func protocolError(_ message: String) -> AMQPError {
        AMQPError(.protocolError, message: message)
    }
}
