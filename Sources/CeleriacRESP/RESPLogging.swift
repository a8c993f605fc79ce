import Logging

/// The logging metadata keys this module sets.
enum RESPLogging {
    /// The server's `host:port`.
    static let server = "resp.server"
    /// The negotiated protocol version.
    static let protocolVersion = "resp.protocol"
    /// An error's description.
    static let error = "resp.error"
    /// The wait before the next connection attempt.
    static let retryDelay = "resp.retry.delay"
    /// The kind of a RESP3 push that nobody consumes.
    static let pushKind = "resp.push.kind"
}
