@testable import Celeriac
import CeleriacSQLite
import Foundation
import Testing

extension MultiProcessTests {
    /// The real signal path (`ServiceRunner`): SIGINT starts a warm shutdown, a second signal (SIGTERM) a cold
    /// one. The worker exits promptly without waiting for its long acks-late tasks, gives their messages back
    /// (ready again, no result stored), and a later worker runs each of them exactly once.
    @Test func secondSignalIsAColdShutdownThatGivesBackAcksLateTasks() async throws {
        try await Sandbox.run { sandbox in
            let settings = ["CELERY_TASK_ACKS_LATE": "true"]
            let first = try await sandbox.startWorker("cold", concurrency: 2, environment: settings)
            var ids: [String] = []
            for _ in 0..<2 { ids.append(try await sandbox.client.send("tasks.sleep", [.double(6)], queue: sandbox.queue)) }
            let running = await eventually(timeout: .seconds(10)) { first.log.taskIDs(WorkerEvent.started).count == 2 }
            try #require(running, "the worker should start both tasks\n\(first.tail())")

            let signalled = ContinuousClock.now
            first.send(SIGINT)
            let warm = await eventually(timeout: .seconds(5), interval: .milliseconds(50)) { first.log.mentions("warm shutdown") }
            #expect(warm, "SIGINT should start a warm shutdown\n\(first.tail())")
            #expect(first.isRunning, "a warm shutdown waits for the running tasks (6 s)")
            first.send(SIGTERM)
            let exit = await first.waitForExit(timeout: .seconds(10))
            let took = ContinuousClock.now - signalled
            #expect(exit == .exited(0), "cold shutdown should exit 0, got \(exit.map { "\($0)" } ?? "no exit within 10 s")\n\(first.tail())")
            #expect(took < .seconds(4), "the cold shutdown took \(took); the tasks would have run 6 s")
            #expect(first.log.mentions("cold shutdown (SIGTERM)"), "\(first.tail())")

            let log = first.log
            #expect(Set(log.taskIDs("Task cancelled by cold shutdown")) == Set(ids), "both running tasks should be cancelled\n\(first.tail())")
            #expect(log.taskIDs(WorkerEvent.succeeded).isEmpty, "no task finished")
            for id in ids {
                #expect(try await sandbox.client.meta(id) == nil, "a task given back stores no result: \(id)")
            }
            #expect(try await sandbox.depth() == QueueDepth(queue: sandbox.queue, ready: 2, unacked: 0), "both messages should be ready again")

            // A later worker runs each of them once.
            let second = try await sandbox.startWorker("later", concurrency: 2, environment: settings)
            let metas = try await sandbox.client.waitForResults(ids, timeout: .seconds(20))
            #expect(metas.count == 2 && metas.values.allSatisfy { $0.status == .success && $0.result == .double(6) }, "\(metas.mapValues(\.status))\n\(second.tail())")
            #expect(await sandbox.stopWorker(second) == .exited(0), "\(second.tail())")
            let started = second.log.counts(WorkerEvent.started)
            #expect(Set(started.keys) == Set(ids) && started.values.allSatisfy { $0 == 1 }, "the later worker should run each task once: \(started)")
            #expect(second.log.counts(WorkerEvent.succeeded) == started)
            #expect(try await sandbox.depth() == QueueDepth(queue: sandbox.queue, ready: 0, unacked: 0))
        }
    }

    /// `worker --grace 1`: a warm shutdown (one SIGTERM) waits about a second for an 8 s acks-late task, then
    /// cancels it as a cold shutdown does (docs/worker.md, Shutdown): the message goes back to the queue, no
    /// result is stored, the worker exits 0, and a later worker runs it.
    @Test func warmShutdownCancelsTasksLongerThanTheGracePeriod() async throws {
        try await Sandbox.run { sandbox in
            let settings = ["CELERY_TASK_ACKS_LATE": "true"]
            let worker = try await sandbox.startWorker("grace", concurrency: 1, arguments: ["--grace", "1"], environment: settings)
            let long = try await sandbox.client.send("tasks.sleep", [.double(8)], queue: sandbox.queue)
            let running = await eventually(timeout: .seconds(10)) { worker.log.taskIDs(WorkerEvent.started).contains(long) }
            try #require(running, "the worker should start the task\n\(worker.tail())")

            let signalled = ContinuousClock.now
            worker.terminate()
            let exit = await worker.waitForExit(timeout: .seconds(15))
            let took = ContinuousClock.now - signalled
            #expect(exit == .exited(0), "got \(exit.map { "\($0)" } ?? "no exit within 15 s")\n\(worker.tail())")
            #expect(took >= .milliseconds(900) && took < .seconds(5), "the worker should wait about the 1 s grace period, not the 8 s task, took \(took)")
            let log = worker.log
            #expect(log.mentions("over: cancelling running tasks"), "\(worker.tail())")
            #expect(log.taskIDs("Task cancelled by cold shutdown") == [long], "\(worker.tail())")
            #expect(log.lines.contains { $0.contains("requeued=true") && $0.contains(long) }, "the log should say the message was requeued\n\(worker.tail())")
            #expect(try await sandbox.client.meta(long) == nil, "a task given back stores no result")
            #expect(try await sandbox.depth() == QueueDepth(queue: sandbox.queue, ready: 1, unacked: 0), "the message should be ready again")

            // Given back, not lost: a later worker runs it to the end, once.
            let later = try await sandbox.startWorker("later", concurrency: 1, environment: settings)
            let meta = try await sandbox.client.waitForResults([long], timeout: .seconds(20))[long]
            #expect(meta?.status == .success && meta?.result == .double(8), "\(String(describing: meta))\n\(later.tail())")
            #expect(await sandbox.stopWorker(later) == .exited(0), "\(later.tail())")
            #expect(later.log.counts(WorkerEvent.started) == [long: 1], "\(later.tail())")
        }
    }
}
