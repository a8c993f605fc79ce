import Celeriac
import CeleriacTesting
import Foundation
import Logging
import Testing

@Suite("AsyncResult and revoke")
struct AsyncResultTests {
    static func app(backend: InMemoryResultBackend? = InMemoryResultBackend()) -> (CeleriacApp, InMemoryBroker) {
        let broker = InMemoryBroker()
        return (CeleriacApp(broker: broker, backend: backend, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() })), broker)
    }

    @Test func getReturnsTheTypedValue() async throws {
        let backend = InMemoryResultBackend()
        let (app, _) = Self.app(backend: backend)
        try await backend.store(ResultMeta(taskID: "t1", status: .success, result: .object(["a": 1, "b": [true]])))
        struct Value: Codable, Sendable, Equatable {
            var a: Int
            var b: [Bool]
        }
        #expect(try await app.asyncResult(id: "t1", as: Value.self).get(timeout: .seconds(1)) == Value(a: 1, b: [true]))
        #expect(try await app.asyncResult(id: "t1").get(timeout: .seconds(1)) == .object(["a": 1, "b": [true]]))
        #expect(try await app.asyncResult(id: "t1", as: Value.self).state() == .success)
        #expect(try await app.asyncResult(id: "t1", as: Value.self).ready())
    }

    @Test func getWaitsForALaterResult() async throws {
        let backend = InMemoryResultBackend()
        let (app, _) = Self.app(backend: backend)
        async let value = app.asyncResult(id: "t", as: Int.self).get(timeout: .seconds(5))
        try await Task.sleep(for: .milliseconds(50))
        try await backend.store(ResultMeta(taskID: "t", status: .started))
        try await backend.store(ResultMeta(taskID: "t", status: .success, result: 42))
        #expect(try await value == 42)
    }

    @Test func failureThrowsTaskFailedError() async throws {
        let backend = InMemoryResultBackend()
        let (app, _) = Self.app(backend: backend)
        let traceback = "Traceback (most recent call last):\n  File \"tasks.py\", line 3\nValueError: boom\n"
        try await backend.store(ResultMeta(
            taskID: "f", status: .failure,
            result: .object(["exc_type": "ValueError", "exc_message": ["boom", 42], "exc_module": "builtins"]), traceback: traceback))
        let error = await #expect(throws: TaskFailedError.self) { try await app.asyncResult(id: "f", as: Int.self).get(timeout: .seconds(1)) }
        #expect(error?.taskID == "f")
        #expect(error?.state == .failure)
        #expect(error?.error.excType == "ValueError")
        #expect(error?.error.excModule == "builtins")
        #expect(error?.error.excMessage == ["boom", 42])
        #expect(error?.traceback == traceback)
    }

    @Test func revokedThrowsTaskFailedErrorWithRevokedState() async throws {
        let backend = InMemoryResultBackend()
        let (app, _) = Self.app(backend: backend)
        try await backend.store(ResultMeta.revoked(taskID: "r", reason: "expired"))
        let error = await #expect(throws: TaskFailedError.self) { try await app.asyncResult(id: "r").get(timeout: .seconds(1)) }
        #expect(error?.state == .revoked)
        #expect(error?.error == TaskError(excType: "TaskRevokedError", excModule: "celery.exceptions", excMessage: ["expired"]))
    }

    @Test func timeoutThrowsCeleriacTimeout() async throws {
        let backend = InMemoryResultBackend()
        let (app, _) = Self.app(backend: backend)
        try await backend.store(ResultMeta(taskID: "slow", status: .started))
        let begin = ContinuousClock.now
        let error = await #expect(throws: CeleriacError.self) { try await app.asyncResult(id: "slow").get(timeout: .milliseconds(100)) }
        #expect(error?.code == .timeout)
        #expect(error?.taskID == "slow")
        #expect((ContinuousClock.now - begin).seconds >= 0.09)
        let pending = await #expect(throws: CeleriacError.self) { try await app.asyncResult(id: "none").get(timeout: .milliseconds(20)) }
        #expect(pending?.code == .timeout)
    }

    @Test func wrongResultTypeIsBadResult() async throws {
        let backend = InMemoryResultBackend()
        let (app, _) = Self.app(backend: backend)
        try await backend.store(ResultMeta(taskID: "s", status: .success, result: "text"))
        let error = await #expect(throws: CeleriacError.self) { try await app.asyncResult(id: "s", as: Int.self).get(timeout: .seconds(1)) }
        #expect(error?.code == .badResult)
    }

    @Test func withoutABackendResultsAreAConfigurationError() async throws {
        let (app, _) = Self.app(backend: nil)
        let error = await #expect(throws: CeleriacError.self) { try await app.asyncResult(id: "x").get(timeout: .seconds(1)) }
        #expect(error?.code == .invalidConfiguration)
    }

    @Test func stateIsPendingWhenNothingIsStored() async throws {
        let (app, _) = Self.app()
        #expect(try await app.asyncResult(id: "nothing").state() == .pending)
        #expect(try await app.asyncResult(id: "nothing").ready() == false)
    }

    @Test func forgetDeletesTheResult() async throws {
        let backend = InMemoryResultBackend()
        let (app, _) = Self.app(backend: backend)
        try await backend.store(ResultMeta(taskID: "t", status: .success, result: 1))
        try await app.asyncResult(id: "t").forget()
        #expect(backend.forgotten == ["t"])
        #expect(try await app.asyncResult(id: "t").state() == .pending)
    }

    /// Celery's `AsyncResult.revoke()` (without terminate) only tells the workers; the caller stores nothing,
    /// whatever the state (a running task reads PENDING while track_started is off).
    @Test func revokeRecordsTheIDAndWritesNoResult() async throws {
        let backend = InMemoryResultBackend()
        let (app, broker) = Self.app(backend: backend)
        try await backend.store(ResultMeta(taskID: "done", status: .success, result: 1))
        try await backend.store(ResultMeta(taskID: "running", status: .started))
        try await backend.store(ResultMeta(taskID: "retrying", status: .retry))
        try await app.asyncResult(id: "pending").revoke()
        for id in ["done", "running", "retrying"] { try await app.revoke(taskID: id) }
        #expect(broker.revokedIDs == ["pending", "done", "running", "retrying"])
        #expect(backend.current("pending") == nil)
        #expect(backend.history(of: "pending").isEmpty)
        #expect(try await app.asyncResult(id: "pending").state() == .pending)
        #expect(backend.history(of: "done") == [.success])
        #expect(backend.history(of: "running") == [.started])
        #expect(backend.history(of: "retrying") == [.retry])
        #expect(backend.refusedStores.isEmpty)
    }

    @Test func revokeWithoutARevokedSetIsAClearError() async throws {
        let app = CeleriacApp(broker: FlakyBroker(failures: 0), backend: InMemoryResultBackend(), logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
        let error = await #expect(throws: CeleriacError.self) { try await app.asyncResult(id: "x").revoke() }
        #expect(error?.code == .brokerFailure)
        #expect(error?.message.contains("cannot record revoked tasks") == true)
        #expect(error?.taskID == "x")
    }
}
