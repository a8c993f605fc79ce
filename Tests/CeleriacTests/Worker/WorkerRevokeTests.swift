import CeleriacTesting
import Foundation
import Synchronization
import Testing

@testable import Celeriac

/// What a worker does when it learns of a revocation, by the `revoke` control command (Flower, the dashboard)
/// or from the broker's shared revoked set, as Celery 5.7's `_revoke` (`celery/worker/control.py`): a task
/// running here keeps its own result; a task held here (ETA, rate limit, prefetched) reads REVOKED at once.
@Suite("Worker: revoke")
struct WorkerRevokeTests {
    /// A latch a task body waits on.
    final class Gate: Sendable {
        private let isOpen = Mutex(false)
        func open() { isOpen.withLock { $0 = true } }
        func wait() async throws {
            while !isOpen.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
        }
    }

    static func revokeRequest(_ id: String, terminate: Bool = false) -> ControlRequest {
        ControlRequest(method: "revoke", arguments: ["task_id": .string(id), "terminate": .bool(terminate)])
    }

    /// Registers `tests.gated` (records its id, waits for `gate`, returns 42) and `tests.body` (records its id).
    static func register(in h: WorkerHarness, ran: Probe<String>, gate: Gate, options: TaskOptions = TaskOptions()) {
        h.app.registry.register(name: "tests.gated") { _, _, context in
            ran.append(context.id)
            try await gate.wait()
            return 42
        }
        h.app.registry.register(name: "tests.body", options: options) { _, _, context in
            ran.append(context.id)
            return .null
        }
    }

    @Test func controlRevokeOfARunningTaskKeepsOnlyItsSuccess() async throws {
        let h = WorkerHarness()  // track_started off: a running task reads PENDING
        let ran = Probe<String>()
        let gate = Gate()
        Self.register(in: h, ran: ran, gate: gate)
        let result = try await h.app.send(name: "tests.gated")
        let value = try await h.withWorker { worker in
            #expect(await ran.waitForCount(1))
            let reply = await worker.handleControl(Self.revokeRequest(result.id))
            #expect(reply == .object(["ok": .string("tasks {'\(result.id)'} flagged as revoked")]))
            try await Task.sleep(for: .milliseconds(300))
            #expect(h.backend.current(result.id) == nil, "the control path must not store REVOKED over a running task")
            gate.open()
            return try await result.get(timeout: .seconds(10))
        }
        #expect(value == 42)
        #expect(h.backend.history(of: result.id) == [.success])
    }

    @Test func countdownTaskRevokedThroughTheRevokedSetReadsRevokedBeforeItsETA() async throws {
        let h = WorkerHarness()
        let ran = Probe<String>()
        Self.register(in: h, ran: ran, gate: Gate())
        let (result, elapsed) = try await h.withWorker { worker in
            let result = try await h.app.send(name: "tests.body", options: CallOptions(countdown: 60))
            #expect(await eventually { worker.control.scheduled.withLock { $0[result.id] != nil } }, "held for its ETA")
            let start = ContinuousClock.now
            try await result.revoke()  // the broker's revoked set only; no control command
            #expect(await eventually(timeout: .seconds(10)) { h.backend.current(result.id)?.status == .revoked })
            let elapsed = ContinuousClock.now - start
            // Released at once, not when the ETA comes: acked, so it is never delivered again.
            #expect(await h.broker.waitUntilAcked(taskID: result.id, timeout: .seconds(10)))
            #expect(worker.control.scheduled.withLock { $0[result.id] == nil })
            try await h.fence()
            return (result, elapsed)
        }
        #expect(elapsed < .seconds(5), "REVOKED read \(elapsed) after the revoke (refresh every 20 ms)")
        #expect(ran.all.filter { $0 == result.id }.isEmpty, "a revoked task never runs")
        // Once or twice (marked on learning of it, and again on discarding it, as Celery does), never another state.
        #expect(!h.backend.history(of: result.id).isEmpty && h.backend.history(of: result.id).allSatisfy { $0 == .revoked })
        #expect(h.backend.current(result.id)?.result == WorkerScheduleTests.revokedRevoked)
        #expect(h.broker.waiting(in: "celery").isEmpty && h.broker.unackedCount == 0)
    }

    @Test func controlRevokeOfAnETATaskReleasesItAtOnce() async throws {
        let h = WorkerHarness()
        let ran = Probe<String>()
        Self.register(in: h, ran: ran, gate: Gate())
        let result = try await h.withWorker { worker in
            let result = try await h.app.send(name: "tests.body", options: CallOptions(countdown: 60))
            #expect(await eventually { worker.control.scheduled.withLock { $0[result.id] != nil } })
            _ = await worker.handleControl(Self.revokeRequest(result.id))
            #expect(await h.broker.waitUntilAcked(taskID: result.id, timeout: .seconds(10)))
            #expect(h.backend.current(result.id)?.status == .revoked)
            try await h.fence()
            return result
        }
        #expect(ran.all.filter { $0 == result.id }.isEmpty)
        #expect(h.backend.current(result.id)?.result == WorkerScheduleTests.revokedRevoked)
    }

    @Test func prefetchedTaskRevokedThroughTheRevokedSetReadsRevokedWhileItWaits() async throws {
        let h = WorkerHarness()
        let ran = Probe<String>()
        let gate = Gate()
        Self.register(in: h, ran: ran, gate: gate)
        let first = try await h.app.send(name: "tests.gated")
        let second = try await h.app.send(name: "tests.body")
        try await h.withWorker(WorkerHarness.configuration(concurrency: 1)) { worker in
            #expect(await ran.waitForCount(1))
            #expect(await eventually { worker.ready.snapshot().contains { $0.message.headers.id == second.id } }, "prefetched behind the running task")
            try await second.revoke()
            #expect(await eventually(timeout: .seconds(10)) { h.backend.current(second.id)?.status == .revoked }, "REVOKED while the slot is still busy")
            #expect(h.backend.current(first.id) == nil, "the running task is left alone")
            gate.open()
            #expect(try await first.get(timeout: .seconds(10)) == 42)
            #expect(await h.broker.waitUntilAcked(taskID: second.id, timeout: .seconds(10)))
        }
        #expect(ran.all == [first.id], "the revoked task never runs")
        #expect(h.backend.history(of: first.id) == [.success])
        #expect(!h.backend.history(of: second.id).isEmpty && h.backend.history(of: second.id).allSatisfy { $0 == .revoked })
    }

    @Test func taskWaitingForARateLimitTokenReadsRevokedAtOnce() async throws {
        let h = WorkerHarness()
        let ran = Probe<String>()
        Self.register(in: h, ran: ran, gate: Gate(), options: TaskOptions(rateLimit: "1/m"))
        try await h.withWorker { worker in
            let first = try await h.app.send(name: "tests.body")
            #expect(await ran.waitForCount(1))
            let second = try await h.app.send(name: "tests.body")
            #expect(await eventually { worker.control.held.withLock { $0.values.contains { $0?.headers.id == second.id } } })
            try await second.revoke()
            #expect(await eventually(timeout: .seconds(10)) { h.backend.current(second.id)?.status == .revoked })
            #expect(ran.all == [first.id])
        }
    }

    @Test func controlRevokeStoresRevokedOnlyOverAWaitingState() async throws {
        let h = WorkerHarness()
        let ids = ["never-seen", "retrying", "started-elsewhere", "done", "custom"]
        try await h.backend.store(ResultMeta(taskID: "retrying", status: .retry))
        try await h.backend.store(ResultMeta(taskID: "started-elsewhere", status: .started))
        try await h.backend.store(ResultMeta(taskID: "done", status: .success, result: 1))
        try await h.backend.store(ResultMeta(taskID: "custom", status: TaskState(rawValue: "PROGRESS")))
        try await h.withWorker { worker in
            _ = await worker.handleControl(ControlRequest(method: "revoke", arguments: ["task_id": .array(ids.map(JSONValue.string))]))
        }
        #expect(h.backend.current("never-seen")?.status == .revoked, "Celery's control command marks unknown (PENDING) ids")
        #expect(h.backend.current("retrying")?.status == .revoked)
        #expect(h.backend.current("started-elsewhere")?.status == .started)
        #expect(h.backend.current("done")?.status == .success)
        #expect(h.backend.current("custom")?.status == TaskState(rawValue: "PROGRESS"))
    }
}
