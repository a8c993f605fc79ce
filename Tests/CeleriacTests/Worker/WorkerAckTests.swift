import Celeriac
import CeleriacTesting
import Foundation
import Testing

@Suite("Worker: acknowledgement")
struct WorkerAckTests {
    /// What a task body saw of its own message.
    struct Seen: Sendable {
        var ackedWhileRunning: Bool
        var unackedWhileRunning: Bool
    }

    @Test func acksLateAcksOnlyAfterTheResultIsStored() async throws {
        let h = WorkerHarness()
        let seen = Probe<Seen>()
        h.app.registry.register(name: "tests.late", options: TaskOptions(acksLate: true)) { _, _, context in
            // Give an early ack every chance to arrive before looking.
            try await Task.sleep(for: .milliseconds(100))
            seen.append(Seen(ackedWhileRunning: h.broker.isAcked(taskID: context.id), unackedWhileRunning: h.broker.unackedTaskIDs.contains(context.id)))
            return "ok"
        }
        let result = try await h.app.send(name: "tests.late")
        try await h.withWorker { _ in
            _ = try await result.get(timeout: .seconds(10))
            #expect(await h.broker.waitUntilAcked(taskID: result.id))
        }
        let observation = try #require(seen.all.first)
        #expect(!observation.ackedWhileRunning)
        #expect(observation.unackedWhileRunning)
        let stored = try #require(h.backend.firstStore(of: result.id, status: .success))
        let ack = try #require(h.broker.events(taskID: result.id).first { $0.kind == .acked })
        #expect(stored.sequence < ack.sequence)
    }

    @Test func acksLateFromConfigurationAlsoAcksFailuresAfterStoring() async throws {
        let h = WorkerHarness { $0.taskAcksLate = true }
        h.app.registry.register(name: "tests.fail") { _, _, _ in throw TaskError.valueError("boom") }
        let result = try await h.app.send(name: "tests.fail")
        try await h.withWorker { _ in
            _ = try await h.backend.waitForReady(taskID: result.id, timeout: .seconds(10))
            #expect(await h.broker.waitUntilAcked(taskID: result.id))
        }
        let stored = try #require(h.backend.firstStore(of: result.id, status: .failure))
        let ack = try #require(h.broker.events(taskID: result.id).first { $0.kind == .acked })
        #expect(stored.sequence < ack.sequence)
        #expect(h.broker.unackedCount == 0)
    }

    @Test func earlyAckHappensBeforeTheBodyFinishes() async throws {
        let h = WorkerHarness()
        let seen = Probe<Bool>()
        h.app.registry.register(name: "tests.early") { _, _, context in
            // The ack was sent before the body started; it reaches the broker while the body still runs.
            seen.append(await h.broker.waitUntilAcked(taskID: context.id, timeout: .seconds(10)))
            return "ok"
        }
        let result = try await h.app.send(name: "tests.early")
        _ = try await h.withWorker { _ in try await result.get(timeout: .seconds(10)) }
        #expect(seen.all == [true])
        let stored = try #require(h.backend.firstStore(of: result.id, status: .success))
        let ack = try #require(h.broker.events(taskID: result.id).first { $0.kind == .acked })
        #expect(ack.sequence < stored.sequence)
    }

    @Test func prefetchedMessagesStayUnackedUntilStarted() async throws {
        let h = WorkerHarness()
        let gate = Probe<Int>()
        h.app.registry.register(name: "tests.block") { _, _, _ in
            _ = await eventually(timeout: .seconds(10)) { gate.count > 0 }
            return .null
        }
        var ids: [String] = []
        for _ in 0..<3 { ids.append(try await h.app.send(name: "tests.block").id) }
        try await h.withWorker(WorkerHarness.configuration(concurrency: 1, prefetchMultiplier: 4)) { _ in
            #expect(await h.broker.waitUntil { $0.isAcked(taskID: ids[0]) && $0.unackedCount == 2 })
            // The first started (acked early); the other two are reserved, not started, still unacked.
            #expect(h.broker.unackedTaskIDs == [ids[1], ids[2]])
            gate.append(1)
            for id in ids { _ = try await h.backend.waitForReady(taskID: id, timeout: .seconds(10)) }
        }
        #expect(h.broker.ackOrder == ids)
    }
}
