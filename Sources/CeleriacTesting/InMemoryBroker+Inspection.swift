import Celeriac
import Synchronization

extension InMemoryBroker {
    /// Every recorded event, in order.
    public var events: [BrokerEvent] { state.withLock { $0.events } }

    /// Every message published, in order (retries and callbacks sent by a worker included).
    public var published: [PublishedEnvelope] { state.withLock { $0.published } }

    /// The tags acknowledged, in the order the acks reached the broker.
    public var acked: [DeliveryTag] { events(.acked).map(\.tag) }

    /// The task ids of the acknowledged messages, in ack order (`nil` entries are dropped).
    public var ackOrder: [String] { events(.acked).compactMap(\.taskID) }

    /// The tags given back, in order.
    public var givenBack: [DeliveryTag] { events(.givenBack).map(\.tag) }

    /// The reject events, in order (see ``BrokerEvent/Kind/rejected(requeue:)``).
    public var rejected: [BrokerEvent] {
        state.withLock { $0.events.filter { if case .rejected = $0.kind { true } else { false } } }
    }

    /// The tags passed to each ``ack(_:)`` call, one array per call (shows the worker's batching).
    public var ackCalls: [[DeliveryTag]] { state.withLock { $0.ackCalls } }

    /// The tags passed to each ``extendLeases(_:)`` call.
    public var leaseExtensions: [[DeliveryTag]] { state.withLock { $0.leaseCalls } }

    /// The most messages that were unacked at the same time.
    public var peakUnacked: Int { state.withLock { $0.peakUnacked } }

    /// The tags of the messages received and not yet acked, rejected or given back.
    public var unackedTags: Set<DeliveryTag> { state.withLock { Set($0.unacked.keys) } }

    /// How many messages are unacked, in all queues.
    public var unackedCount: Int { state.withLock { $0.unacked.count } }

    /// The task ids of the unacked messages.
    public var unackedTaskIDs: Set<String> { state.withLock { Set($0.unacked.values.compactMap(\.message.taskID)) } }

    /// The messages waiting in `queue`, in the order they will be taken.
    public func waiting(in queue: String) -> [InMemoryMessage] {
        state.withLock { state in
            (state.ready[queue] ?? []).sorted { ($0.priority, $0.order) < ($1.priority, $1.order) }
        }
    }

    /// The events of one kind, in order.
    public func events(_ kind: BrokerEvent.Kind) -> [BrokerEvent] {
        state.withLock { $0.events.filter { $0.kind == kind } }
    }

    /// The events about one task id, in order.
    public func events(taskID: String) -> [BrokerEvent] {
        state.withLock { $0.events.filter { $0.taskID == taskID } }
    }

    /// Whether a message of this task id was acked.
    public func isAcked(taskID: String) -> Bool {
        state.withLock { $0.events.contains { $0.kind == .acked && $0.taskID == taskID } }
    }

    /// Waits until `condition` holds, re-checking after every change to the broker (no polling).
    ///
    /// The condition runs outside the broker's lock, so it may read the broker's properties.
    /// - Parameters:
    ///   - timeout: how long to wait.
    ///   - condition: what to wait for.
    /// - Returns: whether the condition held before the timeout.
    @discardableResult
    public func waitUntil(timeout: Duration = .seconds(10), _ condition: (InMemoryBroker) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            let version = changes.version
            if condition(self) { return true }
            if Task.isCancelled || ContinuousClock.now >= deadline { return false }
            await changes.wait(after: version, until: deadline)
        }
    }

    /// Waits until a message of this task id is acked.
    /// - Returns: whether it was acked before the timeout.
    @discardableResult
    public func waitUntilAcked(taskID: String, timeout: Duration = .seconds(10)) async -> Bool {
        await waitUntil(timeout: timeout) { $0.isAcked(taskID: taskID) }
    }
}

extension InMemoryBroker {
    // MARK: DeadLetterStore

    /// Keeps a dead letter.
    public func deadLetter(_ entry: DeadLetter) async throws {
        state.withLock { $0.deadLetters.append(entry) }
        changes.notify()
    }

    /// The dead letters, oldest first.
    public func deadLetters(limit: Int) async throws -> [DeadLetter] {
        state.withLock { Array($0.deadLetters.prefix(max(0, limit))) }
    }

    /// One dead letter by id.
    public func deadLetter(id: String) async throws -> DeadLetter? {
        state.withLock { $0.deadLetters.first { $0.id == id } }
    }

    /// Publishes a dead letter's envelope again (to `queue` or its own) and removes it.
    public func requeueDeadLetter(id: String, queue: String?) async throws -> Bool {
        let entry = state.withLock { state -> DeadLetter? in
            guard let index = state.deadLetters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.deadLetters.remove(at: index)
        }
        guard let entry else { return false }
        try await publish(entry.envelope, queue: queue ?? entry.queue, priority: 0)
        return true
    }

    /// Deletes a dead letter.
    public func deleteDeadLetter(id: String) async throws -> Bool {
        let removed = state.withLock { state -> Bool in
            guard let index = state.deadLetters.firstIndex(where: { $0.id == id }) else { return false }
            state.deadLetters.remove(at: index)
            return true
        }
        if removed { changes.notify() }
        return removed
    }

    /// The dead letters stored so far, oldest first (synchronous, for assertions).
    public var storedDeadLetters: [DeadLetter] { state.withLock { $0.deadLetters } }

    // MARK: RevocationStore

    /// Records revoked task ids.
    public func revoke(_ taskIDs: [String]) async throws {
        state.withLock { $0.revoked.append(contentsOf: taskIDs) }
        changes.notify()
    }

    /// The ids revoked after position `sequence`, and the position to pass next.
    public func revokedTaskIDs(after sequence: Int64) async throws -> (ids: [String], next: Int64) {
        state.withLock { state in
            let start = Int(min(max(0, sequence), Int64(state.revoked.count)))
            return (Array(state.revoked[start...]), Int64(state.revoked.count))
        }
    }

    /// Every revoked id, in order (synchronous, for assertions).
    public var revokedIDs: [String] { state.withLock { $0.revoked } }
}
