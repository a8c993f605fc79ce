@testable import Celeriac
import CeleriacSQLite
import Foundation
import Testing

extension MultiProcessTests {
    /// A producer (this process) and two worker processes on one queue: every task runs exactly once,
    /// with the right result, and both workers share the load.
    @Test func twoWorkersShareOneQueueAndRunEachTaskOnce() async throws {
        try await Sandbox.run { sandbox in
            let a = try await sandbox.startWorker("a", concurrency: 4)
            let b = try await sandbox.startWorker("b", concurrency: 4)

            var expected: [String: JSONValue] = [:]
            var ids: [String] = []
            for n in 0..<300 {
                let id = try await sandbox.client.send("tasks.add", [.int(n), .int(1000)], queue: sandbox.queue)
                ids.append(id)
                expected[id] = .int(n + 1000)
            }
            let metas = try await sandbox.client.waitForResults(ids, timeout: .seconds(60))
            #expect(metas.count == 300, "only \(metas.count) of 300 tasks finished\n\(a.tail())\n\(b.tail())")
            for id in ids {
                guard let meta = metas[id] else { continue }
                #expect(meta.status == .success, "task \(id): \(meta.status) \(meta.result.serialized(.python))")
                #expect(meta.result == expected[id], "task \(id): \(meta.result.serialized(.python)), expected \(expected[id].map { $0.serialized(.python) } ?? "?")")
            }

            #expect(await sandbox.stopWorker(a) == .exited(0), "\(a.tail())")
            #expect(await sandbox.stopWorker(b) == .exited(0), "\(b.tail())")

            let byA = a.log.counts(WorkerEvent.succeeded)
            let byB = b.log.counts(WorkerEvent.succeeded)
            let total = byA.merging(byB, uniquingKeysWith: +)
            let twice = total.filter { $0.value != 1 }
            #expect(twice.isEmpty, "tasks that succeeded more than once: \(twice)")
            #expect(Set(total.keys) == Set(ids), "\(Set(ids).subtracting(total.keys).count) tasks never logged as succeeded, \(Set(total.keys).subtracting(ids).count) unknown ids")
            #expect(!byA.isEmpty && !byB.isEmpty, "both workers should run some tasks: a ran \(byA.count), b ran \(byB.count)")
            let started = a.log.counts(WorkerEvent.started).merging(b.log.counts(WorkerEvent.started), uniquingKeysWith: +)
            #expect(started.values.allSatisfy { $0 == 1 } && started.count == 300, "each task should start exactly once")
            #expect(try await sandbox.depth() == QueueDepth(queue: sandbox.queue, ready: 0, unacked: 0))
        }
    }

    /// SIGTERM is a warm shutdown: no new messages, the running tasks finish, the reserved ones go back,
    /// exit status 0; another worker then runs the rest, and nothing runs twice.
    @Test func warmShutdownFinishesRunningTasksAndGivesBackTheRest() async throws {
        try await Sandbox.run { sandbox in
            var ids: [String] = []
            for _ in 0..<10 { ids.append(try await sandbox.client.send("tasks.sleep", [.double(1)], queue: sandbox.queue)) }

            let first = try await sandbox.startWorker("first", concurrency: 2, arguments: ["--prefetch-multiplier", "4"])
            let running = await eventually(timeout: .seconds(10)) { first.log.contains(WorkerEvent.started) }
            try #require(running, "the first worker never started a task\n\(first.tail())")
            try await Task.sleep(for: .milliseconds(1500))

            let signalled = ContinuousClock.now
            first.terminate()
            let exit = await first.waitForExit(timeout: .seconds(10))
            let shutdown = ContinuousClock.now - signalled
            #expect(exit == .exited(0), "warm shutdown should exit 0, got \(exit.map { "\($0)" } ?? "no exit within 10 s")\n\(first.tail())")
            #expect(shutdown < .seconds(5), "the warm shutdown took \(shutdown); the running tasks take 1 s")

            let log = first.log
            let startedByFirst = log.counts(WorkerEvent.started)
            let finishedByFirst = log.counts(WorkerEvent.succeeded)
            #expect(startedByFirst == finishedByFirst, "every task the first worker started should finish before it exits\n\(first.tail())")
            #expect(!log.mentions(WorkerEvent.cancelled), "no task should be cancelled by a warm shutdown\n\(first.tail())")
            #expect((2...8).contains(finishedByFirst.count), "the first worker ran \(finishedByFirst.count) tasks in about 1.5 s with 2 slots")
            let left = 10 - finishedByFirst.count
            #expect(try await sandbox.depth() == QueueDepth(queue: sandbox.queue, ready: left, unacked: 0), "the reserved messages go back to the queue")

            let second = try await sandbox.startWorker("second", concurrency: 4)
            let metas = try await sandbox.client.waitForResults(ids, timeout: .seconds(20))
            #expect(metas.count == 10 && metas.values.allSatisfy { $0.status == .success && $0.result == .double(1) }, "\(metas.mapValues(\.status))\n\(second.tail())")
            #expect(await sandbox.stopWorker(second) == .exited(0), "\(second.tail())")

            let started = startedByFirst.merging(second.log.counts(WorkerEvent.started), uniquingKeysWith: +)
            let succeeded = finishedByFirst.merging(second.log.counts(WorkerEvent.succeeded), uniquingKeysWith: +)
            #expect(Set(succeeded.keys) == Set(ids) && succeeded.values.allSatisfy { $0 == 1 }, "each task should succeed exactly once: \(succeeded)")
            #expect(started.values.allSatisfy { $0 == 1 }, "no task should start twice: \(started.filter { $0.value > 1 })")
        }
    }
}
