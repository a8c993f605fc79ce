/// How remote-control messages travel on a broker (Celery's pidbox): broadcasts on the `celery.pidbox`
/// fanout exchange, replies through reply queues bound to `reply.celery.pidbox`.
public protocol ControlTransport: Sendable {
    /// Broadcasts a request envelope to every node.
    func broadcastControl(_ envelope: [UInt8]) async throws

    /// The request envelopes broadcast from now on, until the stream is dropped.
    /// - Parameter hostname: the listening node, for its own pidbox queue binding.
    func controlRequests(hostname: String) async throws -> AsyncThrowingStream<[UInt8], any Error>

    /// Sends a reply envelope to the reply queues bound with `routingKey`.
    func sendControlReply(_ envelope: [UInt8], routingKey: String) async throws

    /// Declares the reply queue for `routingKey` (the client's id), so replies to it are kept.
    func openControlReplies(routingKey: String) async throws

    /// The next reply envelope for `routingKey`, or `nil` when none came within `timeout`.
    func nextControlReply(routingKey: String, timeout: Duration) async throws -> [UInt8]?

    /// Removes the reply queue for `routingKey` and its binding.
    func closeControlReplies(routingKey: String) async throws
}
