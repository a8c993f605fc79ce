import Celeriac
import CeleriacTesting
import Foundation
import Testing

@Suite("In-memory broker and backend")
struct InMemoryFakesTests {
    static func envelope(_ id: String) -> [UInt8] {
        Array(#"{"headers": {"id": "\#(id)", "task": "t"}}"#.utf8)
    }

    static func ids(_ deliveries: [Delivery]) -> [String?] {
        deliveries.map { InMemoryFakesTests.id(of: $0) }
    }

    static func id(of delivery: Delivery) -> String? {
        (try? JSONValue.parse(delivery.envelope))?.objectValue?["headers"]?.objectValue?["id"]?.stringValue
    }

    @Test func priorityZeroFirstThenFIFO() async throws {
        let broker = InMemoryBroker()
        try await broker.publish(Self.envelope("a5"), queue: "q", priority: 5)
        try await broker.publish(Self.envelope("b0"), queue: "q", priority: 0)
        try await broker.publish(Self.envelope("c5"), queue: "q", priority: 5)
        try await broker.publish(Self.envelope("d0"), queue: "other", priority: 0)
        try await broker.publish(Self.envelope("e9"), queue: "q", priority: 9)
        let got = try await broker.receive(from: ["q", "other"], limit: 10, timeout: .zero)
        #expect(Self.ids(got) == ["b0", "d0", "a5", "c5", "e9"])
        #expect(got.map(\.queue) == ["q", "other", "q", "q", "q"])
        #expect(got.allSatisfy { !$0.redelivered })
        #expect(broker.unackedCount == 5)
    }

    @Test func receiveTakesOnlyFromTheGivenQueuesAndRespectsTheLimit() async throws {
        let broker = InMemoryBroker()
        for id in ["1", "2", "3"] { try await broker.publish(Self.envelope(id), queue: "q", priority: 0) }
        try await broker.publish(Self.envelope("x"), queue: "elsewhere", priority: 0)
        #expect(Self.ids(try await broker.receive(from: ["q"], limit: 2, timeout: .zero)) == ["1", "2"])
        #expect(Self.ids(try await broker.receive(from: ["q"], limit: 2, timeout: .zero)) == ["3"])
        #expect(try await broker.receive(from: ["q"], limit: 2, timeout: .zero).isEmpty)
        #expect(try await broker.queueDepths() == [QueueDepth(queue: "elsewhere", ready: 1, unacked: 0), QueueDepth(queue: "q", ready: 0, unacked: 3)])
    }

    @Test func receiveWaitsForAPublish() async throws {
        let broker = InMemoryBroker()
        let begin = ContinuousClock.now
        async let got = broker.receive(from: ["q"], limit: 1, timeout: .seconds(60))
        try await Task.sleep(for: .milliseconds(50))
        try await broker.publish(Self.envelope("late"), queue: "q", priority: 0)
        #expect(Self.ids(try await got) == ["late"])
        // Woken by the publish, long before the timeout (a loose bound: CI machines are loaded).
        #expect((ContinuousClock.now - begin).seconds < 30)
    }

    @Test func receiveIgnoresPublishesToOtherQueuesAndTimesOut() async throws {
        let broker = InMemoryBroker()
        let begin = ContinuousClock.now
        async let got = broker.receive(from: ["q"], limit: 1, timeout: .milliseconds(150))
        try await broker.publish(Self.envelope("other"), queue: "other", priority: 0)
        #expect(try await got.isEmpty)
        #expect((ContinuousClock.now - begin).seconds >= 0.14)
    }

    @Test func receiveReturnsWhenCancelled() async throws {
        let broker = InMemoryBroker()
        let begin = ContinuousClock.now
        let receiving = Task { try await broker.receive(from: ["q"], limit: 1, timeout: .seconds(60)) }
        try await Task.sleep(for: .milliseconds(30))
        receiving.cancel()
        #expect(try await receiving.value.isEmpty)
        // Returned on cancellation, long before the timeout (a loose bound: CI machines are loaded).
        #expect((ContinuousClock.now - begin).seconds < 30)
    }

    @Test func giveBackPutsMessagesAtTheFrontRedeliveredWithTheSameTags() async throws {
        let broker = InMemoryBroker()
        for id in ["a", "b", "c"] { try await broker.publish(Self.envelope(id), queue: "q", priority: 0) }
        let first = try await broker.receive(from: ["q"], limit: 2, timeout: .zero)
        try await broker.giveBack(first.map(\.tag))
        #expect(broker.givenBack == first.map(\.tag))
        let again = try await broker.receive(from: ["q"], limit: 3, timeout: .zero)
        #expect(Self.ids(again) == ["a", "b", "c"])
        #expect(again.map(\.redelivered) == [true, true, false])
        #expect(Array(again.prefix(2)).map(\.tag) == first.map(\.tag))
    }

    @Test func rejectDropsOrRequeuesAtTheBack() async throws {
        let broker = InMemoryBroker()
        for id in ["a", "b", "c"] { try await broker.publish(Self.envelope(id), queue: "q", priority: 0) }
        let got = try await broker.receive(from: ["q"], limit: 2, timeout: .zero)
        try await broker.reject(got[0].tag, requeue: true)
        try await broker.reject(got[1].tag, requeue: false)
        #expect(broker.rejected.map(\.kind) == [.rejected(requeue: true), .rejected(requeue: false)])
        #expect(broker.waiting(in: "q").compactMap(\.taskID) == ["c", "a"])
        #expect(broker.unackedCount == 0)
    }

    @Test func ackRemovesForGoodAndIsRecordedInOrder() async throws {
        let broker = InMemoryBroker()
        for id in ["a", "b"] { try await broker.publish(Self.envelope(id), queue: "q", priority: 0) }
        let got = try await broker.receive(from: ["q"], limit: 2, timeout: .zero)
        try await broker.ack([got[1].tag])
        try await broker.ack([got[0].tag, DeliveryTag("unknown")])
        #expect(broker.acked == [got[1].tag, got[0].tag])
        #expect(broker.ackOrder == ["b", "a"])
        #expect(broker.ackCalls == [[got[1].tag], [got[0].tag, DeliveryTag("unknown")]])
        #expect(broker.unackedCount == 0)
        #expect(try await broker.restoreExpiredLeases() == 0)
        #expect(broker.waiting(in: "q").isEmpty)
    }

    @Test func expiredLeasesAreRestoredUnlessExtended() async throws {
        // Wide margins so a loaded machine cannot blur the two leases: "a" expires at 3 s, "b" (extended at
        // 1.6 s) at 4.6 s, and the restore runs at about 3.2 s.
        let broker = InMemoryBroker(visibilityTimeout: .seconds(3))
        for id in ["a", "b"] { try await broker.publish(Self.envelope(id), queue: "q", priority: 0) }
        let got = try await broker.receive(from: ["q"], limit: 2, timeout: .zero)
        try await Task.sleep(for: .milliseconds(1600))
        try await broker.extendLeases([got[1].tag])
        try await Task.sleep(for: .milliseconds(1600))
        #expect(try await broker.restoreExpiredLeases() == 1)
        #expect(broker.leaseExtensions == [[got[1].tag]])
        #expect(broker.unackedTags == [got[1].tag])
        let again = try await broker.receive(from: ["q"], limit: 1, timeout: .zero)
        #expect(Self.ids(again) == ["a"])
        #expect(again.first?.redelivered == true)
    }

    @Test func closedBrokerRefusesWork() async throws {
        let broker = InMemoryBroker()
        await broker.close()
        await #expect(throws: CeleriacError.self) { try await broker.publish(Self.envelope("a"), queue: "q", priority: 0) }
        await #expect(throws: CeleriacError.self) { try await broker.receive(from: ["q"], limit: 1, timeout: .zero) }
    }

    @Test func deadLettersAndRevocations() async throws {
        let broker = InMemoryBroker()
        let letter = DeadLetter(id: "tag-1", queue: "q", taskID: "t1", taskName: "n", reason: "bad", envelope: Self.envelope("t1"), date: Date())
        try await broker.deadLetter(letter)
        #expect(try await broker.deadLetters(limit: 10) == [letter])
        #expect(try await broker.requeueDeadLetter(id: "tag-1", queue: "other"))
        #expect(try await broker.requeueDeadLetter(id: "tag-1", queue: nil) == false)
        #expect(broker.waiting(in: "other").compactMap(\.taskID) == ["t1"])

        try await broker.revoke(["x", "y"])
        let (ids, next) = try await broker.revokedTaskIDs(after: 0)
        #expect(ids == ["x", "y"])
        try await broker.revoke(["z"])
        #expect(try await broker.revokedTaskIDs(after: next) == (ids: ["z"], next: 3))
    }

    @Test func backendNeverOverwritesSuccessAndRecordsHistory() async throws {
        let backend = InMemoryResultBackend()
        try await backend.store(ResultMeta(taskID: "t", status: .started))
        try await backend.store(ResultMeta(taskID: "t", status: .success, result: 1))
        try await backend.store(ResultMeta(taskID: "t", status: .failure))
        #expect(backend.history(of: "t") == [.started, .success])
        #expect(backend.refusedStores.map(\.status) == [.failure])
        #expect(try await backend.meta(for: "t")?.result == 1)
        try await backend.forget(taskID: "t")
        #expect(try await backend.meta(for: "t") == nil)
    }

    @Test func backendWaitForReadyWakesOnStoreAndTimesOut() async throws {
        let backend = InMemoryResultBackend()
        try await backend.store(ResultMeta(taskID: "t", status: .started))
        let begin = ContinuousClock.now
        let timedOut = try await backend.waitForReady(taskID: "t", timeout: .milliseconds(100))
        #expect(timedOut?.status == .started)
        #expect((ContinuousClock.now - begin).seconds >= 0.09)

        async let ready = backend.waitForReady(taskID: "t", timeout: .seconds(5))
        try await Task.sleep(for: .milliseconds(30))
        try await backend.store(ResultMeta(taskID: "t", status: .retry))
        try await backend.store(ResultMeta(taskID: "t", status: .success, result: "done"))
        #expect(try await ready?.result == "done")
    }
}
