@testable import Celeriac
import CeleriacSQLite
import Foundation
import Testing

extension MultiProcessTests {
    /// Malformed and unprocessable messages, published raw between good ones: the worker keeps running and
    /// runs every good task, stores the FAILURE Celery would, and keeps the bad messages as dead letters
    /// that the `dead-letters` command lists and requeues.
    @Test func badMessagesAreDeadLetteredAndTheWorkerKeepsRunning() async throws {
        try await Sandbox.run { sandbox in
            let worker = try await sandbox.startWorker("w", concurrency: 2)
            let client = sandbox.client
            let queue = sandbox.queue
            func base64(_ text: String) -> JSONValue { .string(Data(text.utf8).base64EncodedString()) }

            let notJSONBody = client.envelope("tasks.add", [1, 2], queue: queue) { $0["body"] = base64("not json{") }
            let notJSONEnvelope = Array("this is not a kombu envelope {".utf8)
            let pickle = client.envelope("tasks.add", [1, 2], queue: queue) { $0["content-type"] = "application/x-python-serialize" }
            let unknown = client.envelope("tasks.nope", [1], queue: queue)
            let wrongTypes = client.envelope("tasks.add", ["a", .object([:])], queue: queue)
            let tooManyArgs = client.envelope("tasks.add", [1, 2, 3], queue: queue)
            let objectBody = client.envelope("tasks.add", [1, 2], queue: queue) { $0["body"] = base64(#"{"x": 1}"#) }
            let bad: [[UInt8]] = [notJSONBody.bytes, notJSONEnvelope, pickle.bytes, unknown.bytes, wrongTypes.bytes, tooManyArgs.bytes, objectBody.bytes]

            var good: [(id: String, sum: Int)] = []
            for (index, envelope) in bad.enumerated() {
                let message = client.envelope("tasks.add", [.int(index), .int(100)], queue: queue)
                try await client.broker.publish(message.bytes, queue: queue, priority: 0)
                good.append((message.id, index + 100))
                try await client.broker.publish(envelope, queue: queue, priority: 0)
            }
            let last = client.envelope("tasks.add", [7, 100], queue: queue)
            try await client.broker.publish(last.bytes, queue: queue, priority: 0)
            good.append((last.id, 107))

            // Every good task runs.
            let goodResults = try await client.waitForResults(good.map(\.id), timeout: .seconds(15))
            for task in good {
                #expect(goodResults[task.id]?.status == .success && goodResults[task.id]?.result == .int(task.sum), "good task \(task.id): \(goodResults[task.id].map { "\($0.status) \($0.result.serialized(.python))" } ?? "not finished")")
            }

            // The FAILUREs Celery stores.
            let failures = try await client.waitForResults([notJSONBody.id, pickle.id, unknown.id, wrongTypes.id, tooManyArgs.id, objectBody.id], timeout: .seconds(10))
            #expect(failures[unknown.id]?.status == .failure && failures[unknown.id]?.excType == "NotRegistered", "unknown task: \(String(describing: failures[unknown.id]))")
            #expect(failures[wrongTypes.id]?.status == .failure && failures[wrongTypes.id]?.excType == "TypeError", "wrong types: \(String(describing: failures[wrongTypes.id]))")
            #expect(failures[tooManyArgs.id]?.status == .failure && failures[tooManyArgs.id]?.excType == "TypeError", "too many args: \(String(describing: failures[tooManyArgs.id]))")
            #expect(failures[pickle.id]?.status == .failure && failures[pickle.id]?.excType == "ContentDisallowed", "pickle: \(String(describing: failures[pickle.id]))")
            #expect(failures[notJSONBody.id]?.status == .failure, "body not JSON: \(String(describing: failures[notJSONBody.id]))")
            #expect(failures[objectBody.id]?.status == .failure, "body {\"x\": 1}: \(String(describing: failures[objectBody.id]))")

            // Dead letters: every message that could not be run as a task. tasks.add("a", {}) is not one of
            // them: its arguments bind, the task runs and raises TypeError, a plain task failure as in Celery.
            let store = client.broker
            let expectedDead = 6
            let allDead = try await eventually(timeout: .seconds(10)) { try await store.deadLetters(limit: 100).count >= expectedDead }
            let letters = try await store.deadLetters(limit: 100)
            #expect(allDead && letters.count == expectedDead, "dead letters: \(letters.map { "\($0.taskName ?? "-") \($0.reason)" })")
            let deadTaskIDs = Set(letters.compactMap(\.taskID))
            #expect(deadTaskIDs == [notJSONBody.id, pickle.id, unknown.id, tooManyArgs.id, objectBody.id], "dead-lettered task ids")
            #expect(letters.contains { $0.taskID == nil && $0.envelope == notJSONEnvelope }, "the envelope that is not JSON is kept byte for byte")
            #expect(letters.allSatisfy { $0.queue == queue })
            let unknownLetter = try #require(letters.first { $0.taskID == unknown.id })
            #expect(unknownLetter.reason.contains("NotRegistered"), "\(unknownLetter.reason)")

            // The worker survived all of it and still works.
            #expect(worker.isRunning, "the worker should keep running: \(worker.exit.map { "\($0)" } ?? "")\n\(worker.tail())")
            let after = try await client.send("tasks.add", [40, 2], queue: queue)
            #expect(try await client.waitForResults([after], timeout: .seconds(10))[after]?.result == .int(42))

            // `dead-letters list` shows the same six.
            let list = try await sandbox.command(["dead-letters", "list"])
            #expect(list.succeeded, "\(list)")
            #expect(list.lines.count == expectedDead, "\(list)")
            for letter in letters {
                #expect(list.lines.contains { $0.hasPrefix(letter.id) }, "dead letter \(letter.id) is not listed\n\(list)")
            }
            let show = try await sandbox.command(["dead-letters", "show", unknownLetter.id])
            #expect(show.succeeded && show.stdout.contains("tasks.nope") && show.stdout.contains(unknown.id), "\(show)")

            // `dead-letters requeue` with the worker stopped: the message is back on its queue, off the list.
            #expect(await sandbox.stopWorker(worker) == .exited(0), "\(worker.tail())")
            let requeue = try await sandbox.command(["dead-letters", "requeue", unknownLetter.id])
            #expect(requeue.succeeded && requeue.stdout.contains("requeued \(unknownLetter.id)"), "\(requeue)")
            #expect(try await sandbox.depth() == QueueDepth(queue: queue, ready: 1, unacked: 0))
            let remaining = try await store.deadLetters(limit: 100)
            #expect(remaining.count == expectedDead - 1 && !remaining.contains { $0.id == unknownLetter.id })
            let listAfter = try await sandbox.command(["dead-letters", "list"])
            #expect(listAfter.lines.count == expectedDead - 1 && !listAfter.stdout.contains(unknownLetter.id), "\(listAfter)")
            let status = try await sandbox.command(["status"])
            #expect(status.succeeded && status.lines.contains { $0.split(separator: " ") == [Substring(queue), "1", "0"] }, "\(status)")
            #expect(status.stdout.contains("dead letters: \(expectedDead - 1)"), "\(status)")
            let missing = try await sandbox.command(["dead-letters", "requeue", "no-such-letter"])
            #expect(!missing.succeeded && missing.stderr.contains("no-such-letter"), "\(missing)")

            // A new worker still cannot run it: dead-lettered again, under the new delivery tag.
            let again = try await sandbox.startWorker("again", concurrency: 1)
            let deadAgain = try await eventually(timeout: .seconds(10)) {
                try await store.deadLetters(limit: 100).contains { $0.taskID == unknown.id && $0.id != unknownLetter.id }
            }
            #expect(deadAgain, "the requeued message should be dead-lettered again\n\(again.tail())")
            let drained = try await sandbox.waitForDepth(ready: 0, unacked: 0)
            #expect(drained == QueueDepth(queue: queue, ready: 0, unacked: 0), "the dead-lettered message should leave the queue")
            #expect(await sandbox.stopWorker(again) == .exited(0), "\(again.tail())")
        }
    }
}
