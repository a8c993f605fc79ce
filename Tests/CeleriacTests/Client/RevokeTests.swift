import Celeriac
import CeleriacTesting
import Foundation
import Synchronization
import Testing

/// `revoke` with a real ``Worker`` on the in-memory broker: the caller only records the id, the worker that
/// discards the task stores REVOKED, and a task already running keeps its own result (as in Celery).
@Suite("Revoke with a worker")
struct RevokeTests {
    /// A latch a task body waits on.
    final class Gate: Sendable {
        private let isOpen = Mutex(false)
        func open() { isOpen.withLock { $0 = true } }
        func wait() async throws {
            while !isOpen.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
        }
    }

    @Test func aRunningTaskIsNotRevokedAndKeepsItsResult() async throws {
        let h = WorkerHarness()  // track_started off: a running task reads PENDING
        let started = Probe<String>()
        let gate = Gate()
        h.app.registry.register(name: "tests.gated") { _, _, context in
            started.append(context.id)
            try await gate.wait()
            return 42
        }
        let result = try await h.app.send(name: "tests.gated")
        let value = try await h.withWorker { _ in
            #expect(await started.waitForCount(1))
            #expect(try await result.state() == .pending)
            try await result.revoke()
            // Long enough for the worker to read the revoked set (every 20 ms here) while the task runs.
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await result.state() == .pending, "revoke must not write REVOKED over a running task")
            gate.open()
            return try await result.get(timeout: .seconds(10))
        }
        #expect(value == 42)
        #expect(h.backend.history(of: result.id) == [.success])
        #expect(h.broker.revokedIDs == [result.id])
    }

    @Test func aWaitingTaskEndsRevokedWhenAWorkerDiscardsIt() async throws {
        let h = WorkerHarness()
        let ran = Probe<String>()
        h.app.registry.register(name: "tests.body") { _, _, context in
            ran.append(context.id)
            return .null
        }
        let result = try await h.app.send(name: "tests.body")
        try await result.revoke()
        // Nothing stored by the caller: PENDING until a worker sees the message.
        #expect(h.backend.current(result.id) == nil)
        #expect(try await result.state() == .pending)
        let error = try await h.withWorker { _ in
            await #expect(throws: TaskFailedError.self) { try await result.get(timeout: .seconds(10)) }
        }
        #expect(error?.state == .revoked)
        #expect(error?.error == TaskError(excType: "TaskRevokedError", excModule: "celery.exceptions", excMessage: ["revoked"]))
        #expect(ran.count == 0)
        #expect(h.backend.history(of: result.id) == [.revoked])
    }
}
