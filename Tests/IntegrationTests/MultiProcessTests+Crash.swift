@testable import Celeriac
import CeleriacSQLite
import Foundation
import Testing

extension MultiProcessTests {
    /// With `task_acks_late` and a 2 s visibility timeout, a live worker keeps the messages it holds longer
    /// than the timeout (it extends their leases), so a second worker never takes them; after `kill -9`
    /// the leases run out and the second worker runs exactly the tasks the dead one had not finished.
    @Test func killedAcksLateWorkerLosesNothingAndLiveLeasesHold() async throws {
        try await Sandbox.run { sandbox in
            let settings = ["CELERY_TASK_ACKS_LATE": "true", "CELERY_BROKER_TRANSPORT_OPTIONS": #"{"visibility_timeout": 2}"#]
            let a = try await sandbox.startWorker("a", concurrency: 2, environment: settings)

            // Six 3 s tasks: A reserves all of them (window 2 x 4) and runs two at a time, so it holds some
            // for 6 s, three times the visibility timeout.
            var ids: [String] = []
            for _ in 0..<6 { ids.append(try await sandbox.client.send("tasks.sleep", [.double(3)], queue: sandbox.queue)) }
            let reserved = try await sandbox.waitForDepth(ready: 0, unacked: 6)
            try #require(reserved.ready == 0 && reserved.unacked == 6, "worker A should reserve all six messages: \(reserved)\n\(a.tail())")

            let b = try await sandbox.startWorker("b", concurrency: 4, environment: settings)

            // Wait until A has finished and acked four tasks: it still runs the last two, whose messages it
            // has held since the start (about 6 s). B restores expired leases every 5 s meanwhile.
            var depth = try await sandbox.depth()
            let fourDone = try await eventually(timeout: .seconds(20)) {
                depth = try await sandbox.depth()
                return a.log.taskIDs(WorkerEvent.succeeded).count >= 4 && depth.unacked == 2 && depth.ready == 0
            }
            try #require(fourDone, "worker A should finish four tasks and hold two: \(depth)\n\(a.tail())\n\(b.tail())")

            let startedByALive = a.log.counts(WorkerEvent.started)
            let startedByBLive = b.log.counts(WorkerEvent.started)
            #expect(startedByBLive.isEmpty, "B must not run tasks A holds while A lives (lease extension): B started \(startedByBLive.keys.sorted())\n\(b.tail())")
            #expect(!b.log.contains(WorkerEvent.received), "B must not even receive messages A holds while A lives\n\(b.tail())")
            #expect(startedByALive.values.allSatisfy { $0 == 1 } && startedByALive.count == 6, "A should start each of the six tasks once: \(startedByALive)")
            let finishedByA = Set(a.log.taskIDs(WorkerEvent.succeeded))
            let heldByA = Set(startedByALive.keys).subtracting(finishedByA)
            #expect(heldByA.count == 2)

            a.killNow()
            let exit = await a.waitForExit(timeout: .seconds(5))
            #expect(exit == .signalled(SIGKILL), "A should die of SIGKILL, got \(exit.map { "\($0)" } ?? "nothing")")

            // Lease runs out (2 s), B restores (every 5 s) and runs them (3 s).
            let metas = try await sandbox.client.waitForResults(ids, timeout: .seconds(25))
            #expect(metas.count == 6, "all six tasks should finish; missing: \(Set(ids).subtracting(metas.keys))\n\(b.tail())")
            #expect(metas.values.allSatisfy { $0.status == .success && $0.result == .double(3) }, "\(metas.mapValues(\.status))")
            #expect(await sandbox.stopWorker(b) == .exited(0), "\(b.tail())")

            let startedByB = b.log.counts(WorkerEvent.started)
            #expect(Set(startedByB.keys) == heldByA, "B should run exactly the tasks A held when killed: B ran \(startedByB.keys.sorted()), A held \(heldByA.sorted())")
            #expect(startedByB.values.allSatisfy { $0 == 1 }, "B should run each restored task once: \(startedByB)")
            #expect(finishedByA.isDisjoint(with: startedByB.keys), "tasks A finished must not run again")
            let succeeded = a.log.counts(WorkerEvent.succeeded).merging(b.log.counts(WorkerEvent.succeeded), uniquingKeysWith: +)
            #expect(Set(succeeded.keys) == Set(ids) && succeeded.values.allSatisfy { $0 == 1 }, "each task should succeed exactly once: \(succeeded)")
            #expect(try await sandbox.depth() == QueueDepth(queue: sandbox.queue, ready: 0, unacked: 0))
        }
    }
}
