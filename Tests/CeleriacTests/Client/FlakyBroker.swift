import Celeriac
import CeleriacTesting
import Synchronization

/// A broker whose first `failures` publishes fail (`Int.max`: every one), recording when each publish was
/// tried; everything else goes to an ``InMemoryBroker``. It keeps no revoked set (not a `RevocationStore`).
final class FlakyBroker: Broker {
    /// The error a failing publish throws.
    struct Refused: Error, Equatable {
        var attempt: Int
    }

    let inner = InMemoryBroker()
    private let state: Mutex<(failuresLeft: Int, attempts: [ContinuousClock.Instant])>
    /// What a failing publish throws instead of ``Refused``, if set.
    private let failure: CeleriacError?

    init(failures: Int, failingWith failure: CeleriacError? = nil) {
        state = Mutex((failures, []))
        self.failure = failure
    }

    /// When each publish was tried, in order.
    var attempts: [ContinuousClock.Instant] { state.withLock { $0.attempts } }

    /// The waits between consecutive attempts, in seconds.
    var gaps: [Double] {
        let times = attempts
        return zip(times, times.dropFirst()).map { pair in
            let components = (pair.1 - pair.0).components
            return Double(components.seconds) + Double(components.attoseconds) / 1e18
        }
    }

    func publish(_ envelope: [UInt8], queue: String, priority: Int) async throws {
        let refused: Refused? = state.withLock { state in
            state.attempts.append(ContinuousClock.now)
            guard state.failuresLeft > 0 else { return nil }
            if state.failuresLeft != Int.max { state.failuresLeft -= 1 }
            return Refused(attempt: state.attempts.count)
        }
        if let refused {
            if let failure { throw failure }
            throw refused
        }
        try await inner.publish(envelope, queue: queue, priority: priority)
    }

    func receive(from queues: [String], limit: Int, timeout: Duration) async throws -> [Delivery] {
        try await inner.receive(from: queues, limit: limit, timeout: timeout)
    }
    func ack(_ tags: [DeliveryTag]) async throws { try await inner.ack(tags) }
    func reject(_ tag: DeliveryTag, requeue: Bool) async throws { try await inner.reject(tag, requeue: requeue) }
    func giveBack(_ tags: [DeliveryTag]) async throws { try await inner.giveBack(tags) }
    func extendLeases(_ tags: [DeliveryTag]) async throws { try await inner.extendLeases(tags) }
    func restoreExpiredLeases() async throws -> Int { try await inner.restoreExpiredLeases() }
    func purge(queue: String) async throws -> Int { try await inner.purge(queue: queue) }
    func queueDepths() async throws -> [QueueDepth] { try await inner.queueDepths() }
    func close() async { await inner.close() }
}
