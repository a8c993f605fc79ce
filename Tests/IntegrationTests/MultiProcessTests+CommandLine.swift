@testable import Celeriac
import CeleriacSQLite
import Foundation
import Testing

extension MultiProcessTests {
    /// Celery's command line end to end: `call`, `result --wait`, `status`, `purge`, a bad broker URL.
    @Test func commandLineRoundTrip() async throws {
        try await Sandbox.run { sandbox in
            let worker = try await sandbox.startWorker("cli", concurrency: 2)
            let queue = sandbox.queue

            // call prints the id; result --wait prints the value.
            let call = try await sandbox.command(["call", "tasks.add", "-a", "[2, 3]", "--queue", queue])
            #expect(call.succeeded, "\(call)")
            let id = try #require(call.lines.first, "\(call)")
            #expect(UUID(uuidString: id) != nil && call.lines.count == 1, "call should print just the task id: \(call)")
            let result = try await sandbox.command(["result", id, "--wait", "--timeout", "10"])
            #expect(result.succeeded && result.lines == ["5"], "\(result)")

            // A failing task: result shows FAILURE with Celery's exception.
            let fail = try await sandbox.command(["call", "tasks.fail", "-a", #"["boom"]"#, "--queue", queue])
            let failID = try #require(fail.lines.first, "\(fail)")
            let failure = try await sandbox.command(["result", failID, "--wait", "--timeout", "10"])
            #expect(failure.stdout.contains("FAILURE") && failure.stdout.contains("ValueError") && failure.stdout.contains("boom"), "\(failure)")
            let meta = try await sandbox.client.meta(failID)
            #expect(meta?.status == .failure && meta?.excType == "ValueError")

            // call --wait prints the id, then the result.
            let mul = try await sandbox.command(["call", "tasks.mul", "-a", "[6, 7]", "--queue", queue, "--wait", "--timeout", "10"])
            #expect(mul.succeeded && mul.lines.count == 2 && mul.lines.last == "42", "\(mul)")

            // result --json prints Celery's metadata.
            let json = try await sandbox.command(["result", id, "--json"])
            let parsed = try JSONValue.parse(json.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
            #expect(parsed.objectValue?["status"] == "SUCCESS" && parsed.objectValue?["result"] == 5 && parsed.objectValue?["task_id"] == .string(id), "\(json)")

            // status shows the depth of a queue no worker consumes; purge -f empties it.
            let idle = "\(queue)-idle"
            for n in 0..<2 {
                let sent = try await sandbox.command(["call", "tasks.add", "-a", "[\(n), 1]", "--queue", idle])
                #expect(sent.succeeded, "\(sent)")
            }
            let status = try await sandbox.command(["status"])
            #expect(status.succeeded && status.lines.first?.split(separator: " ") == ["queue", "ready", "unacked"], "\(status)")
            #expect(status.lines.contains { $0.split(separator: " ") == [Substring(idle), "2", "0"] }, "status should show 2 ready in \(idle)\n\(status)")
            let purge = try await sandbox.command(["purge", "-f", "-Q", idle])
            #expect(purge.succeeded && purge.stdout.contains("Purged 2 messages"), "\(purge)")
            #expect(try await sandbox.depth(of: idle) == QueueDepth(queue: idle, ready: 0, unacked: 0))
            let statusAfter = try await sandbox.command(["status"])
            #expect(statusAfter.succeeded && !statusAfter.stdout.contains(idle), "\(statusAfter)")

            // A bad broker URL: non-zero exit, an error naming the setting.
            for arguments in [["status", "-b", "bogus://x"], ["call", "tasks.add", "-a", "[1, 1]", "-b", "bogus://x"]] {
                let bogus = try await sandbox.command(arguments)
                #expect(bogus.exit != nil && !bogus.succeeded, "\(bogus)")
                #expect(bogus.stderr.contains("broker_url") && bogus.stderr.contains("bogus"), "the error should name broker_url and the URL\n\(bogus)")
            }
            let badEnvironment = try await sandbox.command(["status"], environment: ["CELERY_BROKER_URL": "bogus://x"])
            #expect(!badEnvironment.succeeded && badEnvironment.stderr.contains("CELERY_BROKER_URL"), "the error should name the variable\n\(badEnvironment)")

            // revoke a countdown task: the worker learns of it from the revoked set and discards it at once, storing REVOKED.
            let later = try await sandbox.command(["call", "tasks.add", "-a", "[1, 1]", "--countdown", "3", "--queue", queue])
            let laterID = try #require(later.lines.first, "\(later)")
            let revoke = try await sandbox.command(["revoke", laterID])
            #expect(revoke.succeeded && revoke.stdout.contains(laterID), "\(revoke)")
            let discarded = await eventually(timeout: .seconds(10)) { worker.log.taskIDs(WorkerEvent.discardedRevoked).contains(laterID) }
            #expect(discarded, "the worker should discard the revoked task\n\(worker.tail())")
            let revoked = try await sandbox.command(["result", laterID])
            #expect(revoked.stdout.hasPrefix("REVOKED"), "\(revoked)")
            #expect(try await sandbox.client.meta(laterID)?.status == .revoked)
            let drained = try await sandbox.waitForDepth(ready: 0, unacked: 0)
            #expect(drained == QueueDepth(queue: queue, ready: 0, unacked: 0), "the revoked message should be acked")

            #expect(await sandbox.stopWorker(worker) == .exited(0), "\(worker.tail())")
            #expect(!worker.log.taskIDs(WorkerEvent.started).contains(laterID), "a revoked task must never run")
            #expect(worker.log.counts(WorkerEvent.succeeded)[id] == 1)
        }
    }
}
