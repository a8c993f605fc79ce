@testable import Celeriac
import CeleriacSQLite
import Foundation
import Testing

extension MultiProcessTests {
    /// An oversized message (over `CELERIAC_MAX_MESSAGE_SIZE`): the worker with the small limit survives and
    /// dead-letters it, `dead-letters list` shows it, and once requeued to a queue served by a worker with the
    /// default limit it runs to SUCCESS with its value intact.
    @Test func oversizedMessageIsDeadLetteredThenRequeuedAndRuns() async throws {
        try await Sandbox.run { sandbox in
            let limit = 4096
            let small = try await sandbox.startWorker("small", concurrency: 2, environment: ["CELERIAC_MAX_MESSAGE_SIZE": "\(limit)"])
            let client = sandbox.client
            let queue = sandbox.queue

            // tasks.echo of a 20 000 character string: its envelope is well over 4 KiB.
            let payload = String(repeating: "celeriac-", count: 2223)
            let before = try await client.send("tasks.add", [1, 2], queue: queue)
            let big = client.envelope("tasks.echo", [.string(payload)], queue: queue)
            try #require(big.bytes.count > limit, "the test message should be over the limit: \(big.bytes.count) bytes")
            try await client.broker.publish(big.bytes, queue: queue, priority: 0)
            let after = try await client.send("tasks.add", [40, 2], queue: queue)

            // The small messages around it run; the big one is dead-lettered; the worker lives on.
            let results = try await client.waitForResults([before, after], timeout: .seconds(15))
            #expect(results[before]?.result == .int(3) && results[after]?.result == .int(42), "\(results.mapValues(\.status))\n\(small.tail())")
            let store = client.broker
            let dead = try await eventually(timeout: .seconds(10)) { try await store.deadLetters(limit: 100).contains { $0.envelope == big.bytes } }
            #expect(dead, "the oversized message should be a dead letter\n\(small.tail())")
            let letter = try #require(try await store.deadLetters(limit: 100).first { $0.envelope == big.bytes })
            #expect(letter.queue == queue && letter.reason.contains("\(limit)"), "\(letter.reason)")
            #expect(small.isRunning, "the worker should survive an oversized message: \(small.exit.map { "\($0)" } ?? "")\n\(small.tail())")
            #expect(small.log.mentions("Received invalid task message"), "the oversized message should be logged\n\(small.tail())")
            #expect(!small.log.taskIDs(WorkerEvent.started).contains(big.id), "an oversized message must not run")
            let drained = try await sandbox.waitForDepth(ready: 0, unacked: 0)
            #expect(drained == QueueDepth(queue: queue, ready: 0, unacked: 0), "the oversized message should leave the queue")
            let still = try await client.send("tasks.mul", [6, 7], queue: queue)
            #expect(try await client.waitForResults([still], timeout: .seconds(10))[still]?.result == .int(42), "\(small.tail())")

            // Its id can be read: Celery-style FAILURE (kombu's LimitExceeded), and the log names id and task.
            let failed = try await client.waitForResults([big.id], timeout: .seconds(10))[big.id]
            #expect(failed?.status == .failure && failed?.excType == "LimitExceeded", "\(String(describing: failed))")
            #expect(letter.taskID == big.id && letter.taskName == "tasks.echo", "\(letter)")
            #expect(small.log.lines.contains { $0.contains(big.id) && $0.contains("tasks.echo") && $0.contains("Received invalid task message") }, "\(small.tail())")

            // `dead-letters list` shows it.
            let list = try await sandbox.command(["dead-letters", "list"])
            #expect(list.succeeded && list.lines.contains { $0.hasPrefix(letter.id) }, "\(list)")

            // Requeued to a queue whose worker has the default limit: it runs to SUCCESS, value intact.
            let roomy = "\(queue)-roomy"
            let roomyWorker = try sandbox.start("worker-roomy", ["worker", "-l", "debug", "-Q", roomy, "-n", "roomy@it", "-c", "1"])
            let ready = await eventually(timeout: .seconds(15)) { roomyWorker.log.contains(WorkerEvent.ready) || !roomyWorker.isRunning }
            try #require(ready && roomyWorker.isRunning, "the roomy worker did not start\n\(roomyWorker.tail())")
            let requeue = try await sandbox.command(["dead-letters", "requeue", letter.id, "--queue", roomy])
            #expect(requeue.succeeded && requeue.stdout.contains("requeued \(letter.id)"), "\(requeue)")
            let succeeded = await eventually(timeout: .seconds(15)) {
                (try? await client.meta(big.id))?.status == .success
            }
            let meta = try await client.meta(big.id)
            #expect(succeeded && meta?.result == .string(payload), "the requeued message should run to SUCCESS: \(String(describing: meta?.status))\n\(roomyWorker.tail())")
            #expect(roomyWorker.log.counts(WorkerEvent.succeeded)[big.id] == 1, "\(roomyWorker.tail())")
            #expect(try await store.deadLetters(limit: 100).allSatisfy { $0.id != letter.id }, "a requeued dead letter leaves the list")
            #expect(await sandbox.stopWorker(roomyWorker) == .exited(0), "\(roomyWorker.tail())")
            #expect(await sandbox.stopWorker(small) == .exited(0), "\(small.tail())")
        }
    }
}
