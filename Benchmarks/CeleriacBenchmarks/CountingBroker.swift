import Celeriac
import CeleriacSQLite
import Synchronization

/// An ``SQLiteBroker`` that counts the worker's receive and ack calls and the time they take, so the drain
/// table can show how many messages each broker round trip carries.
///
/// Every other call is forwarded unchanged, including the revocation and dead-letter stores.
final class CountingBroker: Broker, RevocationStore, DeadLetterStore {
    /// What was counted.
    struct Counts: Sendable, Codable {
        var receiveCalls = 0
        var receivedMessages = 0
        var receiveSeconds = 0.0
        var ackCalls = 0
        var ackedMessages = 0
        var ackSeconds = 0.0
    }

    let base: SQLiteBroker
    private let state = Mutex(Counts())

    init(base: SQLiteBroker) {
        self.base = base
    }

    /// A snapshot of the counts.
    var counts: Counts { state.withLock { $0 } }

    func publish(_ envelope: [UInt8], queue: String, priority: Int) async throws {
        try await base.publish(envelope, queue: queue, priority: priority)
    }

    func publish(batch: [OutgoingEnvelope]) async throws {
        try await base.publish(batch: batch)
    }

    func receive(from queues: [String], limit: Int, timeout: Duration) async throws -> [Delivery] {
        let started = ContinuousClock.now
        let deliveries = try await base.receive(from: queues, limit: limit, timeout: timeout)
        let took = (ContinuousClock.now - started).seconds
        if !deliveries.isEmpty {
            // Only calls that returned messages: an idle receive waits up to its timeout.
            state.withLock { counts in
                counts.receiveCalls += 1
                counts.receivedMessages += deliveries.count
                counts.receiveSeconds += took
            }
        }
        return deliveries
    }

    func ack(_ tags: [DeliveryTag]) async throws {
        let started = ContinuousClock.now
        try await base.ack(tags)
        let took = (ContinuousClock.now - started).seconds
        state.withLock { counts in
            counts.ackCalls += 1
            counts.ackedMessages += tags.count
            counts.ackSeconds += took
        }
    }

    func reject(_ tag: DeliveryTag, requeue: Bool) async throws { try await base.reject(tag, requeue: requeue) }
    func giveBack(_ tags: [DeliveryTag]) async throws { try await base.giveBack(tags) }
    func extendLeases(_ tags: [DeliveryTag]) async throws { try await base.extendLeases(tags) }
    func restoreExpiredLeases() async throws -> Int { try await base.restoreExpiredLeases() }
    func purge(queue: String) async throws -> Int { try await base.purge(queue: queue) }
    func queueDepths() async throws -> [QueueDepth] { try await base.queueDepths() }
    func close() async { await base.close() }

    func revoke(_ taskIDs: [String]) async throws { try await base.revoke(taskIDs) }
    func revokedTaskIDs(after sequence: Int64) async throws -> (ids: [String], next: Int64) { try await base.revokedTaskIDs(after: sequence) }

    func deadLetter(_ entry: DeadLetter) async throws { try await base.deadLetter(entry) }
    func deadLetters(limit: Int) async throws -> [DeadLetter] { try await base.deadLetters(limit: limit) }
    func deadLetter(id: String) async throws -> DeadLetter? { try await base.deadLetter(id: id) }
    func requeueDeadLetter(id: String, queue: String?) async throws -> Bool { try await base.requeueDeadLetter(id: id, queue: queue) }
    func deleteDeadLetter(id: String) async throws -> Bool { try await base.deleteDeadLetter(id: id) }
}
