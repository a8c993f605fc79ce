import Celeriac

/// One thing that happened to an ``InMemoryBroker``, recorded so unit tests can assert on what a worker did
/// and in which order.
public struct BrokerEvent: Sendable, Hashable {
    /// What happened.
    public enum Kind: Sendable, Hashable {
        /// A message was published.
        case published
        /// A message was delivered to a receiver (it is now unacked).
        case received
        /// A delivery was acknowledged.
        case acked
        /// A delivery was rejected; `requeue` says whether it went back to its queue.
        case rejected(requeue: Bool)
        /// A delivery was given back to the front of its queue.
        case givenBack
        /// A delivery's lease was extended.
        case leaseExtended
        /// An unacked message whose lease ran out was put back in its queue.
        case restored
    }

    /// What happened.
    public var kind: Kind
    /// The delivery tag, when the event concerns one message.
    public var tag: DeliveryTag
    /// The queue of the message.
    public var queue: String
    /// The message's `id` header, when it has one.
    public var taskID: String?
    /// The position of this event among all events of every in-memory fake in the process; use it to tell
    /// whether an ack came before or after a result was stored (``InMemoryResultBackend/StoredResult/sequence``).
    public var sequence: UInt64
    /// When it happened.
    public var time: ContinuousClock.Instant

    /// Creates an event (the broker does this).
    public init(kind: Kind, tag: DeliveryTag, queue: String, taskID: String?, sequence: UInt64, time: ContinuousClock.Instant) {
        self.kind = kind
        self.tag = tag
        self.queue = queue
        self.taskID = taskID
        self.sequence = sequence
        self.time = time
    }
}

/// A message as it was published to an ``InMemoryBroker``.
public struct PublishedEnvelope: Sendable, Hashable {
    /// The delivery tag the broker gave it.
    public var tag: DeliveryTag
    /// The target queue.
    public var queue: String
    /// The priority it was published with, clamped to 0-9.
    public var priority: Int
    /// The kombu envelope bytes.
    public var envelope: [UInt8]
    /// The message's `id` header, when the envelope is JSON with one.
    public var taskID: String?
    /// The message's `task` header, when the envelope is JSON with one.
    public var taskName: String?
    /// The event's position (see ``BrokerEvent/sequence``).
    public var sequence: UInt64
    /// When it was published.
    public var time: ContinuousClock.Instant

    /// Decodes the envelope as a task message.
    /// - Throws: ``CeleriacError`` when it is not a valid task message.
    public func message() throws -> TaskMessage {
        try TaskMessage(envelope: envelope)
    }
}

/// A message waiting in or held by an ``InMemoryBroker``.
public struct InMemoryMessage: Sendable, Hashable {
    /// The delivery tag (kept when the message is given back or restored, as kombu does).
    public var tag: DeliveryTag
    /// The queue.
    public var queue: String
    /// The priority 0-9.
    public var priority: Int
    /// The kombu envelope bytes.
    public var envelope: [UInt8]
    /// The message's `id` header, when it has one.
    public var taskID: String?
    /// Whether it was delivered before.
    public var redelivered: Bool
    /// Its place in the queue within its priority (lower is taken first).
    var order: Int64
}
