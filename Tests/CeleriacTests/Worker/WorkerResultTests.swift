import Celeriac
import CeleriacTesting
import Foundation
import Testing

@Suite("Worker: results")
struct WorkerResultTests {
    @Test func successStoresCeleryMeta() async throws {
        let h = WorkerHarness()
        h.app.registry.register(addTask) { args, _ in args.x + args.y }
        let before = Date()
        let result = try await h.app.delay(addTask, AddArguments(x: 2, y: 3))
        let value = try await h.withWorker { _ in try await result.get(timeout: .seconds(10)) }
        #expect(value == 5)

        let meta = try #require(h.backend.current(result.id))
        #expect(meta.status == .success)
        #expect(meta.result == .int(5))
        #expect(meta.traceback == nil)
        #expect(meta.children.isEmpty)
        #expect(meta.parentID == nil)
        #expect(meta.extended == nil)
        let done = try #require(meta.dateDone.flatMap(CeleryTimestamp.parse))
        #expect(done.timeIntervalSince(before) > -1 && done.timeIntervalSinceNow < 1)
        #expect(meta.json().keys == ["status", "result", "traceback", "children", "date_done", "task_id"])
        #expect(h.backend.history(of: result.id) == [.success])
        #expect(h.broker.ackOrder == [result.id])
        #expect(h.broker.unackedCount == 0)
    }

    @Test func ignoreResultHeaderStoresNothing() async throws {
        let h = WorkerHarness()
        let ran = Probe<String>()
        h.app.registry.register(addTask) { args, context in
            ran.append(context.id)
            return args.x + args.y
        }
        let ignored = try await h.app.applyAsync(addTask, AddArguments(x: 1, y: 1), options: CallOptions(ignoreResult: true))
        let stored = try await h.app.delay(addTask, AddArguments(x: 2, y: 2))
        try await h.withWorker { _ in
            #expect(try await stored.get(timeout: .seconds(10)) == 4)
            try await h.fence()
        }
        #expect(ran.all.contains(ignored.id))
        #expect(h.backend.history(of: ignored.id).isEmpty)
        #expect(h.backend.history(of: stored.id) == [.success])
    }

    @Test func ignoreResultTaskOptionStoresNothing() async throws {
        let h = WorkerHarness()
        let ran = Probe<String>()
        h.app.registry.register(name: "tests.quiet", options: TaskOptions(ignoreResult: true)) { _, _, context in
            ran.append(context.id)
            return "done"
        }
        // send(name:) leaves the ignore_result header null, so the task option decides.
        let byName = try await h.app.send(name: "tests.quiet")
        try await h.withWorker { _ in try await h.fence() }
        #expect(ran.all == [byName.id])
        #expect(h.backend.history(of: byName.id).isEmpty)
    }

    /// Celery's tracer computes `publish_result = not task.ignore_result` and `mark_as_done` also checks the
    /// request's `ignore_result`: either one set means nothing is stored. A client that does not know the task
    /// sends `ignore_result: false`; the worker's task option still wins.
    @Test func ignoreResultTaskOptionWinsOverFalseHeader() async throws {
        let h = WorkerHarness()
        let ran = Probe<String>()
        h.app.registry.register(name: "tests.quiet", options: TaskOptions(ignoreResult: true)) { _, _, context in
            ran.append(context.id)
            return "done"
        }
        let explicit = try await h.app.send(name: "tests.quiet", options: CallOptions(ignoreResult: false))
        try await h.withWorker { _ in try await h.fence() }
        #expect(ran.all == [explicit.id])
        #expect(h.backend.history(of: explicit.id).isEmpty)
    }

    @Test func trackStartedStoresStartedThenSuccess() async throws {
        let h = WorkerHarness()
        let startedSeen = Probe<TaskState?>()
        h.app.registry.register(name: "tests.tracked", options: TaskOptions(trackStarted: true)) { _, _, context in
            startedSeen.append(h.backend.current(context.id)?.status)
            return "ok"
        }
        let result = try await h.app.send(name: "tests.tracked")
        _ = try await h.withWorker { _ in try await result.get(timeout: .seconds(10)) }
        #expect(startedSeen.all == [.started])
        #expect(h.backend.history(of: result.id) == [.started, .success])
        let started = try #require(h.backend.metas(of: result.id).first)
        #expect(started.result == .object(["pid": .int(Int(ProcessInfo.processInfo.processIdentifier)), "hostname": "celery@test"]))
        #expect(started.dateDone == nil)
    }

    @Test func trackStartedFromConfiguration() async throws {
        let h = WorkerHarness { $0.taskTrackStarted = true }
        h.app.registry.register(addTask) { args, _ in args.x + args.y }
        let result = try await h.app.delay(addTask, AddArguments(x: 1, y: 2))
        _ = try await h.withWorker { _ in try await result.get(timeout: .seconds(10)) }
        #expect(h.backend.history(of: result.id) == [.started, .success])
    }

    @Test func resultExtendedAddsCallFields() async throws {
        let h = WorkerHarness { $0.resultExtended = true }
        h.app.registry.register(addTask) { args, _ in args.x + args.y }
        let result = try await h.app.applyAsync(addTask, AddArguments(x: 2, y: 3), options: CallOptions(queue: "math"))
        _ = try await h.withWorker(WorkerHarness.configuration(queues: ["math"])) { _ in try await result.get(timeout: .seconds(10)) }
        let meta = try #require(h.backend.current(result.id))
        let extended = try #require(meta.extended)
        #expect(extended == ResultMeta.Extended(name: "tests.add", args: [2, 3], kwargs: [:], worker: "celery@test", retries: 0, queue: "math"))
        #expect(meta.json().keys == [
            "status", "result", "traceback", "children", "date_done", "name", "args", "kwargs", "worker", "retries", "queue", "task_id",
        ])
    }

    @Test func failureStoresExceptionDictAndTraceback() async throws {
        let h = WorkerHarness()
        h.app.registry.register(name: "tests.fail") { _, _, _ in throw TaskError(excType: "ValueError", excMessage: ["boom", 42]) }
        let result = try await h.app.send(name: "tests.fail")
        let error = try await h.withWorker { _ in
            await #expect(throws: TaskFailedError.self) { try await result.get(timeout: .seconds(10)) }
        }
        #expect(error?.error == TaskError(excType: "ValueError", excModule: "builtins", excMessage: ["boom", 42]))
        let meta = try #require(h.backend.current(result.id))
        #expect(meta.status == .failure)
        #expect(meta.result == .object(["exc_type": "ValueError", "exc_message": ["boom", 42], "exc_module": "builtins"]))
        #expect(meta.traceback?.hasPrefix("Traceback (most recent call last):") == true)
        #expect(meta.dateDone != nil)
    }

    @Test func countersFollowOutcomes() async throws {
        let h = WorkerHarness()
        h.app.registry.register(addTask) { args, _ in args.x + args.y }
        h.app.registry.register(name: "tests.fail") { _, _, _ in throw TaskError.valueError("boom") }
        h.app.registry.register(name: "tests.flaky") { _, _, context in
            if context.retries == 0 { try context.retry(countdown: 0) }
            return "ok"
        }
        let ids = [
            try await h.app.delay(addTask, AddArguments(x: 1, y: 1)).id,
            try await h.app.send(name: "tests.fail").id,
            try await h.app.send(name: "tests.flaky").id,
            try await h.app.send(name: "tests.unknown").id,
            try await h.app.send(name: "tests.add", options: CallOptions(expires: .date(Date(timeIntervalSinceNow: -1)))).id,
        ]
        let counts = try await h.withWorker { worker in
            for id in ids { _ = try await h.backend.waitForReady(taskID: id, timeout: .seconds(10)) }
            try await h.fence()
            return worker.counts
        }
        #expect(counts.succeeded == 3)  // add, flaky's second run, the fence
        #expect(counts.failed == 1)
        #expect(counts.retried == 1)
        #expect(counts.processed == 4)
        #expect(counts.deadLettered == 1)
        #expect(counts.revoked == 1)
        #expect(counts.active == 0)
    }
}
