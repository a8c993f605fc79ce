import Celeriac
import CeleriacTesting
import Foundation
import Logging
import ServiceLifecycle
import Testing

@Suite("Worker: logs")
struct WorkerLogTests {
    @Test func perTaskLinesCarryTheQueueAndMessageID() async throws {
        let h = WorkerHarness()
        let logs = CapturedLogs()
        h.app.registry.register(addTask) { args, _ in args.x + args.y }
        let bad = try await h.app.send(name: "tests.add", args: ["a", "b"], options: CallOptions(queue: "maths"))
        let good = try await h.app.send(name: "tests.add", args: [1, 2], options: CallOptions(queue: "maths"))
        try await h.withWorker(WorkerHarness.configuration(queues: ["maths"]), logger: logs.logger()) { _ in
            _ = try await h.backend.waitForReady(taskID: bad.id, timeout: .seconds(10))
            #expect(try await good.get(timeout: .seconds(10)) == 3)
        }
        let tags = Dictionary(h.broker.events(.received).compactMap { event in event.taskID.map { ($0, event.tag.rawValue) } }) { first, _ in first }
        let failed = try #require(logs.matching("Task failed").first)
        #expect(failed.level == .error)
        #expect(failed.metadata[LogKeys.taskID] == bad.id)
        #expect(failed.metadata[LogKeys.taskName] == "tests.add")
        #expect(failed.metadata[LogKeys.queue] == "maths")
        #expect(failed.metadata[LogKeys.messageID] == tags[bad.id])
        #expect(failed.metadata[LogKeys.messageID]?.isEmpty == false)
        #expect(failed.metadata[LogKeys.worker] == "celery@test")
        let succeeded = try #require(logs.matching("Task succeeded").first)
        #expect(succeeded.metadata[LogKeys.taskID] == good.id)
        #expect(succeeded.metadata[LogKeys.queue] == "maths")
        #expect(succeeded.metadata[LogKeys.messageID] == tags[good.id])
    }

    @Test func coldShutdownSaysSoAndNotThatTheGracePeriodIsOver() async throws {
        let h = WorkerHarness()
        let logs = CapturedLogs()
        let started = try await Self.sendLongTask(h)
        // A long grace period that never runs out: the worker is cancelled (the second signal) instead.
        let worker = Worker(app: h.app, configuration: WorkerHarness.configuration(shutdownGracePeriod: .seconds(60)), logger: logs.logger())
        let run = Task { try await worker.run() }
        #expect(await started.waitForCount(1))
        run.cancel()
        try await run.value
        let cold = try #require(logs.matching("cold shutdown: cancelling running tasks").first)
        #expect(cold.level == .warning)
        #expect(logs.matching("grace period").isEmpty, "\(logs.all.map(\.message))")
    }

    @Test func gracePeriodRunningOutSaysSo() async throws {
        let h = WorkerHarness()
        let logs = CapturedLogs()
        let started = try await Self.sendLongTask(h)
        let configuration = WorkerHarness.configuration(shutdownGracePeriod: .milliseconds(300))
        try await h.withWorker(configuration, logger: logs.logger()) { _ in
            #expect(await started.waitForCount(1))
        }
        let over = try #require(logs.matching("grace period over: cancelling running tasks").first)
        #expect(over.level == .warning)
        #expect(over.metadata["grace_period"] == "0.3 seconds")
        #expect(over.metadata["running"] == "1")
        #expect(logs.matching("cold shutdown: cancelling running tasks").isEmpty, "\(logs.all.map(\.message))")
    }

    @Test func warmShutdownInTimeLogsNeither() async throws {
        let h = WorkerHarness()
        let logs = CapturedLogs()
        h.app.registry.register(addTask) { args, _ in args.x + args.y }
        let result = try await h.app.delay(addTask, AddArguments(x: 1, y: 1))
        let value = try await h.withWorker(logger: logs.logger()) { _ in try await result.get(timeout: .seconds(10)) }
        #expect(value == 2)
        #expect(!logs.matching("worker stopped").isEmpty)
        #expect(logs.matching("grace period").isEmpty)
        #expect(logs.matching("cold shutdown: cancelling running tasks").isEmpty)
    }

    /// Registers `tests.long` (10 s, honours cancellation), sends it once, and returns a probe of its starts.
    private static func sendLongTask(_ h: WorkerHarness) async throws -> Probe<String> {
        let started = Probe<String>()
        h.app.registry.register(name: "tests.long") { _, _, context in
            started.append(context.id)
            try await Task.sleep(for: .seconds(10))
            return "done"
        }
        _ = try await h.app.send(name: "tests.long")
        return started
    }
}
