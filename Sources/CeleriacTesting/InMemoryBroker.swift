import Celeriac
import Foundation
import Synchronization

/// A broker that keeps messages in memory, **for unit tests only**: it is not durable and not shared between
/// processes.
///
/// It follows the ``Broker`` contract as kombu's Redis transport does: priority 0 is taken first, then FIFO
/// within a priority; a received message is unacked, under a visibility lease, until it is acked, rejected or
/// given back; given-back and restored messages go to the front of their queue, marked redelivered, with the
/// same tag. ``receive(from:limit:timeout:)`` suspends until a message arrives or the timeout passes; it never
/// polls.
///
/// Every publish, receive, ack, reject, give-back and lease extension is recorded (``events``), so a test can
/// assert on what a worker did and in what order:
/// ```swift
/// let broker = InMemoryBroker()
/// // ... run a worker ...
/// #expect(broker.acked.count == 1)
/// #expect(broker.givenBack.isEmpty)
/// ```
/// It is also a ``DeadLetterStore`` and a ``RevocationStore``.
public final class InMemoryBroker: Broker, DeadLetterStore, RevocationStore {
    struct State {
        var ready: [String: [InMemoryMessage]] = [:]
        var unacked: [DeliveryTag: (message: InMemoryMessage, leaseUntil: ContinuousClock.Instant)] = [:]
        var nextBack: Int64 = 0
        var nextFront: Int64 = 0
        var events: [BrokerEvent] = []
        var published: [PublishedEnvelope] = []
        var ackCalls: [[DeliveryTag]] = []
        var leaseCalls: [[DeliveryTag]] = []
        var peakUnacked = 0
        var deadLetters: [DeadLetter] = []
        var revoked: [String] = []
        var closed = false

        /// Records an event and returns its sequence number.
        @discardableResult
        mutating func record(_ kind: BrokerEvent.Kind, _ message: InMemoryMessage, at time: ContinuousClock.Instant) -> UInt64 {
            let sequence = EventSequence.next()
            events.append(BrokerEvent(kind: kind, tag: message.tag, queue: message.queue, taskID: message.taskID, sequence: sequence, time: time))
            return sequence
        }

        /// Puts a message back at the front of its queue (before everything of its priority), redelivered.
        mutating func putFront(_ message: InMemoryMessage) {
            var message = message
            nextFront -= 1
            message.order = nextFront
            message.redelivered = true
            ready[message.queue, default: []].append(message)
        }
    }

    let state = Mutex(State())
    let changes = ChangeNotifier()
    private let clock = ContinuousClock()
    /// How long a received message stays unacked before ``restoreExpiredLeases()`` puts it back.
    public let visibilityTimeout: Duration

    /// Creates an empty broker.
    /// - Parameter visibilityTimeout: the lease of a received message (kombu's `visibility_timeout`, one hour).
    public init(visibilityTimeout: Duration = .seconds(3600)) {
        self.visibilityTimeout = visibilityTimeout
    }

    // MARK: Broker

    /// Appends an envelope to a queue and wakes waiting receivers.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/closed``) after ``close()``.
    public func publish(_ envelope: [UInt8], queue: String, priority: Int) async throws {
        let (taskID, taskName) = Self.identity(of: envelope)
        let now = clock.now
        try state.withLock { state throws(CeleriacError) in
            guard !state.closed else { throw CeleriacError(.closed, "the in-memory broker is closed") }
            let message = InMemoryMessage(
                tag: DeliveryTag(UUID().uuidString.lowercased()), queue: queue, priority: min(9, max(0, priority)),
                envelope: envelope, taskID: taskID, redelivered: false, order: state.nextBack)
            state.nextBack += 1
            state.ready[queue, default: []].append(message)
            let sequence = state.record(.published, message, at: now)
            state.published.append(PublishedEnvelope(
                tag: message.tag, queue: queue, priority: message.priority, envelope: envelope, taskID: taskID, taskName: taskName,
                sequence: sequence, time: now))
        }
        changes.notify()
    }

    /// Takes up to `limit` messages, lowest priority number first, then oldest first, across `queues`;
    /// suspends until one arrives or `timeout` passes.
    /// - Returns: the deliveries, now unacked; empty when the timeout passed or the task was cancelled.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/closed``) after ``close()``.
    public func receive(from queues: [String], limit: Int, timeout: Duration) async throws -> [Delivery] {
        let deadline = clock.now + timeout
        while true {
            let version = changes.version
            let taken = try take(from: queues, limit: limit)
            if !taken.isEmpty {
                changes.notify()
                return taken
            }
            if Task.isCancelled || clock.now >= deadline { return [] }
            await changes.wait(after: version, until: deadline)
        }
    }

    private func take(from queues: [String], limit: Int) throws(CeleriacError) -> [Delivery] {
        let now = clock.now
        let lease = visibilityTimeout
        return try state.withLock { state throws(CeleriacError) -> [Delivery] in
            guard !state.closed else { throw CeleriacError(.closed, "the in-memory broker is closed") }
            var deliveries: [Delivery] = []
            while deliveries.count < max(0, limit) {
                var best: (queue: String, index: Int, message: InMemoryMessage)?
                for queue in Set(queues) {
                    for (index, message) in (state.ready[queue] ?? []).enumerated() {
                        if let current = best?.message,
                            (current.priority, current.order) <= (message.priority, message.order) { continue }
                        best = (queue, index, message)
                    }
                }
                guard let best else { break }
                state.ready[best.queue]?.remove(at: best.index)
                state.unacked[best.message.tag] = (best.message, now + lease)
                state.record(.received, best.message, at: now)
                deliveries.append(Delivery(tag: best.message.tag, queue: best.queue, envelope: best.message.envelope, redelivered: best.message.redelivered))
            }
            state.peakUnacked = max(state.peakUnacked, state.unacked.count)
            return deliveries
        }
    }

    /// Removes unacked messages for good. Unknown tags are ignored, as kombu does.
    public func ack(_ tags: [DeliveryTag]) async throws {
        let now = clock.now
        try state.withLock { state throws(CeleriacError) in
            guard !state.closed else { throw CeleriacError(.closed, "the in-memory broker is closed") }
            state.ackCalls.append(tags)
            for tag in tags {
                guard let held = state.unacked.removeValue(forKey: tag) else { continue }
                state.record(.acked, held.message, at: now)
            }
        }
        changes.notify()
    }

    /// Drops an unacked message, or with `requeue` puts it at the back of its queue, redelivered.
    public func reject(_ tag: DeliveryTag, requeue: Bool) async throws {
        let now = clock.now
        try state.withLock { state throws(CeleriacError) in
            guard !state.closed else { throw CeleriacError(.closed, "the in-memory broker is closed") }
            guard var message = state.unacked.removeValue(forKey: tag)?.message else { return }
            state.record(.rejected(requeue: requeue), message, at: now)
            if requeue {
                message.order = state.nextBack
                message.redelivered = true
                state.nextBack += 1
                state.ready[message.queue, default: []].append(message)
            }
        }
        changes.notify()
    }

    /// Puts unacked messages back at the front of their queues, redelivered, keeping their order among
    /// themselves.
    public func giveBack(_ tags: [DeliveryTag]) async throws {
        let now = clock.now
        try state.withLock { state throws(CeleriacError) in
            guard !state.closed else { throw CeleriacError(.closed, "the in-memory broker is closed") }
            var returned: [InMemoryMessage] = []
            for tag in tags {
                guard let message = state.unacked.removeValue(forKey: tag)?.message else { continue }
                state.record(.givenBack, message, at: now)
                returned.append(message)
            }
            // Each goes before the previous one, so the last is put first and the first ends up in front.
            for message in returned.reversed() { state.putFront(message) }
        }
        changes.notify()
    }

    /// Renews the leases of unacked messages.
    public func extendLeases(_ tags: [DeliveryTag]) async throws {
        let now = clock.now
        let lease = visibilityTimeout
        try state.withLock { state throws(CeleriacError) in
            guard !state.closed else { throw CeleriacError(.closed, "the in-memory broker is closed") }
            state.leaseCalls.append(tags)
            for tag in tags {
                guard let held = state.unacked[tag] else { continue }
                state.unacked[tag]?.leaseUntil = now + lease
                state.record(.leaseExtended, held.message, at: now)
            }
        }
        changes.notify()
    }

    /// Puts every unacked message whose lease ran out back at the front of its queue, redelivered.
    public func restoreExpiredLeases() async throws -> Int {
        let now = clock.now
        let restored = try state.withLock { state throws(CeleriacError) -> Int in
            guard !state.closed else { throw CeleriacError(.closed, "the in-memory broker is closed") }
            let expired = state.unacked.values.filter { $0.leaseUntil <= now }.map(\.message).sorted { $0.order > $1.order }
            for message in expired {
                state.unacked[message.tag] = nil
                state.record(.restored, message, at: now)
                state.putFront(message)
            }
            return expired.count
        }
        if restored > 0 { changes.notify() }
        return restored
    }

    /// Deletes the messages waiting in `queue` (not the unacked ones).
    public func purge(queue: String) async throws -> Int {
        let count = try state.withLock { state throws(CeleriacError) -> Int in
            guard !state.closed else { throw CeleriacError(.closed, "the in-memory broker is closed") }
            return state.ready.removeValue(forKey: queue)?.count ?? 0
        }
        changes.notify()
        return count
    }

    /// Waiting and unacked counts for every queue that has or had messages.
    public func queueDepths() async throws -> [QueueDepth] {
        state.withLock { state in
            var unacked: [String: Int] = [:]
            for held in state.unacked.values { unacked[held.message.queue, default: 0] += 1 }
            let names = Set(state.ready.keys).union(unacked.keys).sorted()
            return names.map { QueueDepth(queue: $0, ready: state.ready[$0]?.count ?? 0, unacked: unacked[$0] ?? 0) }
        }
    }

    /// Marks the broker closed: further calls throw, waiting receivers return.
    public func close() async {
        state.withLock { $0.closed = true }
        changes.notify()
    }

    /// The `id` and `task` headers of an envelope, when it is JSON and has them.
    static func identity(of envelope: [UInt8]) -> (id: String?, name: String?) {
        guard let value = try? JSONValue.parse(envelope), let headers = value.objectValue?["headers"]?.objectValue else { return (nil, nil) }
        return (headers["id"]?.stringValue, headers["task"]?.stringValue)
    }
}
