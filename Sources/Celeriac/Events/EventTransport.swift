/// Where events go and come from: Celery's `celeryev` exchange on a broker (a fanout over `PUBLISH` on Redis).
///
/// Brokers that can carry events conform; ``EventDispatcher`` publishes through it and `celeriac events`
/// reads every node's events from it.
public protocol EventTransport: Sendable {
    /// Publishes an event envelope (``EventEnvelope``) with its routing key (`worker.heartbeat`, `task.multi`).
    func publishEvent(_ envelope: [UInt8], routingKey: String) async throws

    /// Every event envelope published from now on by any node, until the stream is dropped or cancelled.
    /// The stream ends with an error when the transport fails.
    func eventEnvelopes() async throws -> AsyncThrowingStream<[UInt8], any Error>
}
