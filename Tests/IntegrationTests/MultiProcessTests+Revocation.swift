@testable import Celeriac
import CeleriacSQLite
import Foundation
import Testing

extension MultiProcessTests {
    /// A revoked id is kept by the broker, not only in the memory of the worker that was running: a worker
    /// started afterwards discards the task when it arrives, and it ends REVOKED without ever running.
    @Test func revokedTaskStaysRevokedAcrossWorkerRestarts() async throws {
        try await Sandbox.run { sandbox in
            let queue = sandbox.queue
            let revokedID = UUID().uuidString.lowercased()

            // Revoked while a first worker runs, which then stops.
            let first = try await sandbox.startWorker("first", concurrency: 1)
            let revoke = try await sandbox.command(["revoke", revokedID])
            #expect(revoke.succeeded, "\(revoke)")
            try await Task.sleep(for: .milliseconds(1500))
            #expect(await sandbox.stopWorker(first) == .exited(0), "\(first.tail())")

            // A fresh worker, then the task with that id and a control task behind it.
            let second = try await sandbox.startWorker("second", concurrency: 1)
            try await sandbox.client.send("tasks.add", [1, 2], queue: queue, taskID: revokedID)
            let control = try await sandbox.client.send("tasks.add", [2, 2], queue: queue)
            let controlMeta = try await sandbox.client.waitForResults([control], timeout: .seconds(10))[control]
            #expect(controlMeta?.status == .success && controlMeta?.result == 4, "\(second.tail())")

            let discarded = await eventually(timeout: .seconds(10)) { second.log.taskIDs(WorkerEvent.discardedRevoked).contains(revokedID) }
            #expect(discarded, "the new worker should discard the revoked task\n\(second.tail())")
            let meta = try await sandbox.client.meta(revokedID)
            #expect(meta?.status == .revoked && meta?.excType == "TaskRevokedError", "\(String(describing: meta))")
            let drained = try await sandbox.waitForDepth(ready: 0, unacked: 0)
            #expect(drained == QueueDepth(queue: queue, ready: 0, unacked: 0), "the revoked message should be acked, not left in the queue")

            #expect(await sandbox.stopWorker(second) == .exited(0), "\(second.tail())")
            #expect(!second.log.taskIDs(WorkerEvent.started).contains(revokedID), "the revoked task must never run\n\(second.tail())")
            #expect(!second.log.taskIDs(WorkerEvent.succeeded).contains(revokedID))

            // And a third worker, started later still, does not run it when it is sent again.
            let third = try await sandbox.startWorker("third", concurrency: 1)
            try await sandbox.client.send("tasks.add", [1, 2], queue: queue, taskID: revokedID)
            let discardedAgain = await eventually(timeout: .seconds(10)) { third.log.taskIDs(WorkerEvent.discardedRevoked).contains(revokedID) }
            #expect(discardedAgain, "\(third.tail())")
            #expect(await sandbox.stopWorker(third) == .exited(0), "\(third.tail())")
            #expect(!third.log.taskIDs(WorkerEvent.started).contains(revokedID))
            #expect(try await sandbox.client.meta(revokedID)?.status == .revoked)
        }
    }
}
