import Celeriac
import CeleriacTesting
import Foundation
import Testing

@Suite("Worker: ETA, expiry and revocation")
struct WorkerScheduleTests {
    static let revokedExpired: JSONValue = .object(["exc_type": "TaskRevokedError", "exc_message": ["expired"], "exc_module": "celery.exceptions"])
    static let revokedRevoked: JSONValue = .object(["exc_type": "TaskRevokedError", "exc_message": ["revoked"], "exc_module": "celery.exceptions"])

    @Test func expiredTaskIsRevokedAndNeverRuns() async throws {
        let h = WorkerHarness()
        let ran = Probe<String>()
        h.app.registry.register(name: "tests.body") { _, _, context in
            ran.append(context.id)
            return .null
        }
        let result = try await h.app.send(name: "tests.body", options: CallOptions(expires: .date(Date(timeIntervalSinceNow: -10))))
        let meta = try await h.withWorker { _ in
            let meta = try await h.backend.waitForReady(taskID: result.id, timeout: .seconds(10))
            #expect(await h.broker.waitUntilAcked(taskID: result.id))
            return meta
        }
        #expect(ran.count == 0)
        #expect(meta?.status == .revoked)
        #expect(meta?.result == Self.revokedExpired)
        #expect(meta?.traceback == nil)
        #expect(h.broker.unackedCount == 0)
    }

    @Test func taskExpiringBeforeItsETAIsRevokedWhenTheETAComes() async throws {
        let h = WorkerHarness()
        let ran = Probe<String>()
        h.app.registry.register(name: "tests.body") { _, _, context in
            ran.append(context.id)
            return .null
        }
        let result = try await h.app.send(name: "tests.body", options: CallOptions(countdown: 0.3, expires: .seconds(0.1)))
        let meta = try await h.withWorker { _ in try await h.backend.waitForReady(taskID: result.id, timeout: .seconds(10)) }
        #expect(ran.count == 0)
        #expect(meta?.result == Self.revokedExpired)
    }

    @Test func countdownRunsAfterTheETAAndIsHeldUnackedMeanwhile() async throws {
        let h = WorkerHarness()
        let starts = Probe<Date>()
        h.app.registry.register(name: "tests.later") { _, _, _ in
            starts.append(Date())
            return .null
        }
        let sent = Date()
        let id = try await h.withWorker { _ in
            let result = try await h.app.send(name: "tests.later", options: CallOptions(countdown: 0.5))
            // On a loaded machine the worker may only see the message after its ETA: then it is acked already.
            #expect(await h.broker.waitUntil(timeout: .seconds(10)) { $0.unackedTaskIDs.contains(result.id) || $0.isAcked(taskID: result.id) })
            if Date().timeIntervalSince(sent) < 0.45 {
                #expect(starts.count == 0, "ran before its ETA")
            }
            _ = try await result.get(timeout: .seconds(10))
            return result.id
        }
        let started = try #require(starts.all.first)
        #expect(started.timeIntervalSince(sent) >= 0.49)
        #expect(h.broker.ackOrder == [id])
    }

    @Test func etaMessagesPastTheEtaLimitCountAgainstThePrefetchWindow() async throws {
        let h = WorkerHarness()
        let order = Probe<String>()
        h.app.registry.register(name: "tests.record") { args, _, _ in
            order.append(args.first?.stringValue ?? "?")
            return .null
        }
        var ids: [String] = []
        for name in ["eta1", "eta2", "eta3"] {
            ids.append(try await h.app.send(name: "tests.record", args: [.string(name)], options: CallOptions(countdown: 30)).id)
        }
        ids.append(try await h.app.send(name: "tests.record", args: ["now"]).id)
        // Window 1, at most 1 ETA message held outside it.
        let configuration = WorkerHarness.configuration(concurrency: 1, prefetchMultiplier: 1, etaLimit: 1)
        try await h.withWorker(configuration) { _ in
            #expect(await h.broker.waitUntil { $0.unackedCount == 2 })
            try await Task.sleep(for: .milliseconds(150))
            // eta1 is held outside the window, eta2 fills it: eta3 and the immediate task wait in the queue.
            #expect(h.broker.unackedTaskIDs == [ids[0], ids[1]])
            #expect(h.broker.waiting(in: "celery").compactMap(\.taskID) == [ids[2], ids[3]])
            #expect(order.count == 0)
        }
        // Shutdown gives the held ETA messages back.
        let waiting = h.broker.waiting(in: "celery")
        #expect(waiting.count == 4)
        #expect(Set(waiting.compactMap(\.taskID)) == Set(ids))
        #expect(order.count == 0)
    }

    @Test func etaMessagesWithinTheEtaLimitLeaveTheWindowFree() async throws {
        let h = WorkerHarness()
        let order = Probe<String>()
        h.app.registry.register(name: "tests.record") { args, _, _ in
            order.append(args.first?.stringValue ?? "?")
            return .null
        }
        var ids: [String] = []
        for name in ["eta1", "eta2", "eta3"] {
            ids.append(try await h.app.send(name: "tests.record", args: [.string(name)], options: CallOptions(countdown: 30)).id)
        }
        let now = try await h.app.send(name: "tests.record", args: ["now"])
        let configuration = WorkerHarness.configuration(concurrency: 1, prefetchMultiplier: 1, etaLimit: 10)
        try await h.withWorker(configuration) { _ in
            _ = try await now.get(timeout: .seconds(10))
            // Acks reach the broker in batches, a moment after the task.
            #expect(await h.broker.waitUntilAcked(taskID: now.id))
            // The immediate task ran while all three ETA messages were held.
            #expect(order.all == ["now"])
            #expect(h.broker.unackedTaskIDs == Set(ids))
        }
        #expect(Set(h.broker.waiting(in: "celery").compactMap(\.taskID)) == Set(ids))
    }

    @Test func revokedWhileHeldForItsETAIsDiscardedWithoutWaitingForIt() async throws {
        let h = WorkerHarness()
        let ran = Probe<String>()
        h.app.registry.register(name: "tests.body") { _, _, context in
            ran.append(context.id)
            return .null
        }
        let result = try await h.withWorker { _ in
            // A countdown long enough that a loaded machine still revokes before the ETA.
            let result = try await h.app.send(name: "tests.body", options: CallOptions(countdown: 3))
            #expect(await h.broker.waitUntil(timeout: .seconds(10)) { $0.unackedTaskIDs.contains(result.id) })
            try await h.app.revoke(taskID: result.id)
            #expect(await h.broker.waitUntilAcked(taskID: result.id, timeout: .seconds(10)))
            try await h.fence()
            return result
        }
        #expect(ran.count == 0)
        #expect(h.backend.current(result.id)?.result == Self.revokedRevoked)
    }
}
