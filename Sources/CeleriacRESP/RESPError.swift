/// An error raised by the RESP client: a server error reply, a broken connection, a timeout, a protocol violation
/// or an invalid configuration.
///
/// ``code`` tells the kind; new codes can be added without breaking a `switch` over them, so compare with `==`.
/// Server errors keep the server's message in ``message`` (for example `WRONGPASS invalid username-password
/// pair or user is disabled.`) and its first word in ``serverErrorPrefix``. ``description`` never contains a
/// password or a command's arguments.
public struct RESPError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The kind of a ``RESPError``.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case serverError
            case connectionClosed
            case connectionFailed
            case connectTimeout
            case commandTimeout
            case protocolError
            case cancelled
            case clientClosed
            case invalidConfiguration
            case tlsConfiguration
            case sentinelFailure
            case unexpectedReply
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The server answered with an error reply (`-ERR`, `-WRONGPASS`, `-NOAUTH`, ...).
        public static let serverError = Code(.serverError)
        /// The connection closed, or was closed, while requests were pending or before a request was written.
        public static let connectionClosed = Code(.connectionClosed)
        /// The client could not connect to the server (refused, unreachable, TLS handshake failure, ...).
        public static let connectionFailed = Code(.connectionFailed)
        /// Connecting and the connection handshake took longer than the connect timeout.
        public static let connectTimeout = Code(.connectTimeout)
        /// A command got no reply within its timeout; its connection was closed.
        public static let commandTimeout = Code(.commandTimeout)
        /// The server sent bytes that are not valid RESP, or exceeded a size or nesting limit.
        public static let protocolError = Code(.protocolError)
        /// The awaiting task was cancelled.
        public static let cancelled = Code(.cancelled)
        /// The client was closed.
        public static let clientClosed = Code(.clientClosed)
        /// A URL or configuration value is invalid.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// The TLS settings could not be turned into a TLS context (unreadable CA, certificate or key file).
        public static let tlsConfiguration = Code(.tlsConfiguration)
        /// No Sentinel could name the master, or the server it named is not a master.
        public static let sentinelFailure = Code(.sentinelFailure)
        /// The server answered with a reply of an unexpected shape.
        public static let unexpectedReply = Code(.unexpectedReply)

        /// The code's name, such as `serverError`.
        public var description: String { self.base.rawValue }
    }

    /// The kind of error.
    public var code: Code
    /// Details: the server's message for ``Code/serverError``, otherwise a sentence written by the client.
    public var message: String?
    /// The error that caused this one, such as an `NIOSSLError` or a `ChannelError`.
    public var underlying: (any Error)?
    /// Whether the request never reached the server (the connection was already closed), so it is safe to retry.
    var wasNotSent = false

    /// Creates an error.
    /// - Parameters:
    ///   - code: The kind of error.
    ///   - message: Details; must never contain secrets.
    ///   - underlying: The error that caused this one.
    public init(_ code: Code, message: String? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// The first word of a server error's message (`ERR`, `WRONGPASS`, `NOAUTH`, `WRONGTYPE`, ...), or `nil`.
    public var serverErrorPrefix: String? {
        guard self.code == .serverError, let message else { return nil }
        return message.split(separator: " ", maxSplits: 1).first.map(String.init)
    }

    /// The code and message.
    public var description: String {
        if let message { return "RESPError.\(self.code): \(message)" }
        return "RESPError.\(self.code)"
    }

    /// The code, message and underlying error.
    public var debugDescription: String {
        guard let underlying else { return self.description }
        return "\(self.description) (underlying: \(String(reflecting: underlying)))"
    }

    static func server(_ message: String) -> RESPError {
        RESPError(.serverError, message: message)
    }

    static func protocolError(_ message: String) -> RESPError {
        RESPError(.protocolError, message: message)
    }
}
