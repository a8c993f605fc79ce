import Celeriac
import CeleriacTesting
import Foundation
import Logging
import Synchronization
import Testing

/// A broker whose publishes to one queue fail while `down` is set (everything else goes to an in-memory broker).
final class PartlyDownBroker: Broker {
    let inner = InMemoryBroker()
    let failingQueue: String
    let down = Mutex(true)

    init(failingQueue: String) { self.failingQueue = failingQueue }

    func publish(_ envelope: [UInt8], queue: String, priority: Int) async throws {
        if queue == failingQueue, down.withLock({ $0 }) { throw CeleriacError(.brokerFailure, "queue \(queue) is down") }
        try await inner.publish(envelope, queue: queue, priority: priority)
    }
    func receive(from queues: [String], limit: Int, timeout: Duration) async throws -> [Delivery] { try await inner.receive(from: queues, limit: limit, timeout: timeout) }
    func ack(_ tags: [DeliveryTag]) async throws { try await inner.ack(tags) }
    func reject(_ tag: DeliveryTag, requeue: Bool) async throws { try await inner.reject(tag, requeue: requeue) }
    func giveBack(_ tags: [DeliveryTag]) async throws { try await inner.giveBack(tags) }
    func extendLeases(_ tags: [DeliveryTag]) async throws { try await inner.extendLeases(tags) }
    func restoreExpiredLeases() async throws -> Int { try await inner.restoreExpiredLeases() }
    func purge(queue: String) async throws -> Int { try await inner.purge(queue: queue) }
    func queueDepths() async throws -> [QueueDepth] { try await inner.queueDepths() }
    func close() async { await inner.close() }
}

@Suite struct BeatFailureTests {
    @Test func aFailingEntryNeitherBlocksTheOthersNorLosesItsTick() async throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_800_000_000))
        let store = InMemoryBeatStore { clock.now }
        let broker = PartlyDownBroker(failingQueue: "down")
        var configuration = CeleriacConfiguration()
        configuration.taskPublishRetry = false
        let app = CeleriacApp(configuration: configuration, broker: broker, backend: nil, logger: .quiet)
        let entries = [
            ScheduleEntry(name: "a-down", task: "tasks.noop", options: CallOptions(queue: "down"), schedule: try IntervalSchedule(seconds: 10)),
            ScheduleEntry(name: "b-up", task: "tasks.noop", options: CallOptions(queue: "up"), schedule: try IntervalSchedule(seconds: 10)),
        ]
        let beat = Beat(app: app, entries: entries, store: store, configuration: .init(holderID: "h"), logger: .quiet, now: { clock.now })
        try await beat.step()
        clock.advance(10)
        try await beat.step()
        #expect(broker.inner.published.map(\.queue) == ["up"], "the healthy entry is sent although the first one fails")
        let claimed = try #require(store.state.withLock { $0.entries["a-down"] })
        #expect(!claimed.sent, "the failing entry's tick stays claimed, not sent")
        clock.advance(1)
        try await beat.step()
        #expect(broker.inner.published.count == 1)
        broker.down.withLock { $0 = false }
        clock.advance(1)
        try await beat.step()
        #expect(broker.inner.published.map(\.queue) == ["up", "down"], "the claimed tick goes out once the broker is back")
        #expect(broker.inner.published.last?.taskID == claimed.taskID)
        #expect(store.state.withLock { $0.entries["a-down"]?.sent } == true)
    }
}
