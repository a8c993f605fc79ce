/// A message broker: holds task messages in named queues until a worker takes them.
///
/// Brokers move kombu envelopes (the JSON object Celery puts on the wire: `body`, `content-encoding`,
/// `content-type`, `headers`, `properties`) as raw bytes; decoding is the worker's job, so a malformed
/// message can never stop a broker. Delivery follows kombu's virtual transport: a received message is
/// *unacked* (held under a visibility lease) until it is acked, rejected or given back.
public protocol Broker: Sendable {
    /// Publishes one envelope to a queue.
    ///
    /// - Parameters:
    ///   - envelope: the kombu envelope as UTF-8 JSON bytes.
    ///   - queue: the queue name (Celery's routing key on the default exchange).
    ///   - priority: Celery's priority 0-9 (0 is consumed first, as on kombu's Redis transport).
    /// - Throws: a ``CeleriacError`` when the broker cannot store the message.
    func publish(_ envelope: [UInt8], queue: String, priority: Int) async throws

    /// Publishes several envelopes in one round trip where the broker can.
    func publish(batch: [OutgoingEnvelope]) async throws

    /// Takes up to `limit` messages from `queues`, waiting up to `timeout` for the first one.
    ///
    /// Messages are taken in priority order, then FIFO within a priority. Each returned delivery is unacked:
    /// it must later be passed to ``ack(_:)``, ``reject(_:requeue:)`` or ``giveBack(_:)``.
    /// - Returns: an empty array when nothing arrived within `timeout`.
    func receive(from queues: [String], limit: Int, timeout: Duration) async throws -> [Delivery]

    /// Acknowledges deliveries: they are removed from the broker for good.
    func ack(_ tags: [DeliveryTag]) async throws

    /// Rejects a delivery; with `requeue` it goes to the back of its queue, otherwise it is dropped.
    func reject(_ tag: DeliveryTag, requeue: Bool) async throws

    /// Gives back deliveries that were received but not started (warm shutdown): they go to the front of
    /// their queue, marked redelivered, so another worker takes them next.
    func giveBack(_ tags: [DeliveryTag]) async throws

    /// Extends the visibility lease of deliveries this worker still holds, so a live worker's messages
    /// are never redelivered to another one.
    func extendLeases(_ tags: [DeliveryTag]) async throws

    /// Puts back every unacked message whose lease has run out (its worker died).
    /// - Returns: how many messages were restored.
    func restoreExpiredLeases() async throws -> Int

    /// Deletes every message waiting in `queue`.
    /// - Returns: how many messages were deleted.
    func purge(queue: String) async throws -> Int

    /// The number of messages waiting (not unacked) and unacked, per queue.
    func queueDepths() async throws -> [QueueDepth]

    /// Releases connections and files. Further calls fail.
    func close() async
}

extension Broker {
    /// Publishes each envelope in turn.
    public func publish(batch: [OutgoingEnvelope]) async throws {
        for item in batch { try await publish(item.envelope, queue: item.queue, priority: item.priority) }
    }
}

/// One envelope to publish, for ``Broker/publish(batch:)``.
public struct OutgoingEnvelope: Sendable {
    /// The kombu envelope as UTF-8 JSON bytes.
    public var envelope: [UInt8]
    /// The target queue.
    public var queue: String
    /// Celery's priority 0-9.
    public var priority: Int

    /// Creates an outgoing envelope.
    public init(envelope: [UInt8], queue: String, priority: Int) {
        self.envelope = envelope
        self.queue = queue
        self.priority = priority
    }
}

/// The broker's handle on one delivered message (kombu's `delivery_tag`).
public struct DeliveryTag: Sendable, Hashable, CustomStringConvertible {
    /// The tag's text, unique within the broker.
    public var rawValue: String
    /// Creates a tag.
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
}

/// A message taken from a queue and held unacked by the receiver.
public struct Delivery: Sendable {
    /// The tag to ack, reject or give back.
    public var tag: DeliveryTag
    /// The queue it came from.
    public var queue: String
    /// The kombu envelope bytes exactly as published.
    public var envelope: [UInt8]
    /// Whether the message was delivered before (restored after a lease ran out, or given back).
    public var redelivered: Bool

    /// Creates a delivery.
    public init(tag: DeliveryTag, queue: String, envelope: [UInt8], redelivered: Bool) {
        self.tag = tag
        self.queue = queue
        self.envelope = envelope
        self.redelivered = redelivered
    }
}

/// How many messages a queue holds.
public struct QueueDepth: Sendable, Hashable {
    /// The queue name.
    public var queue: String
    /// Messages waiting to be received.
    public var ready: Int
    /// Messages received and not yet acked.
    public var unacked: Int

    /// Creates a depth record.
    public init(queue: String, ready: Int, unacked: Int) {
        self.queue = queue
        self.ready = ready
        self.unacked = unacked
    }
}
