@testable import Celeriac
import CeleriacSQLite
import Foundation
import Testing

extension MultiProcessTests {
    /// `call`'s options end to end, each through a real `celeriac-example call` process and a real worker:
    /// `--expires` (expired before any worker starts: REVOKED, never run), `--priority` (0 is taken first, as
    /// on Celery's Redis transport: it overtakes priority-9 messages queued before it), `--eta`, `-k/--kwargs`,
    /// and `tasks.fail`'s stored exception read back with `result --json`.
    @Test func callOptionsExpiresPriorityEtaKwargsAndFailure() async throws {
        try await Sandbox.run { sandbox in
            let queue = sandbox.queue
            func call(_ arguments: [String]) async throws -> String {
                let output = try await sandbox.command(["call"] + arguments + ["--queue", queue])
                try #require(output.succeeded && output.lines.count == 1, "\(output)")
                return output.lines[0]
            }

            // Queued before any worker runs: one that expires in 1 s, three at priority 9, then one at 0.
            let expiring = try await call(["tasks.add", "-a", "[1, 1]", "--expires", "1"])
            var lowPriority: [String] = []
            for n in 0..<3 { lowPriority.append(try await call(["tasks.add", "-a", "[\(n), 100]", "--priority", "9"])) }
            let urgent = try await call(["tasks.add", "-a", "[9, 100]", "--priority", "0"])
            try await Task.sleep(for: .milliseconds(1500))  // the first one has expired by now

            let worker = try await sandbox.startWorker("call", concurrency: 1, arguments: ["--prefetch-multiplier", "1"])
            let queued = try await sandbox.client.waitForResults([expiring, urgent] + lowPriority, timeout: .seconds(15))
            #expect(queued[expiring]?.status == .revoked, "an expired task ends REVOKED: \(String(describing: queued[expiring]))\n\(worker.tail())")
            #expect(!worker.log.taskIDs(WorkerEvent.started).contains(expiring), "an expired task must not run")
            #expect(queued[urgent]?.result == .int(109) && lowPriority.allSatisfy { queued[$0]?.status == .success }, "\(queued.mapValues(\.status))")
            let order = worker.log.taskIDs(WorkerEvent.started).filter { $0 == urgent || lowPriority.contains($0) }
            #expect(order.first == urgent && order.count == 4, "the priority-0 message should run before the priority-9 ones queued earlier: \(order), urgent \(urgent), low \(lowPriority)")
            #expect(Array(order.dropFirst()) == lowPriority, "equal priorities run in FIFO order")

            // --eta about 3 s ahead: nothing before it, done after it.
            let eta = Date().addingTimeInterval(3)
            let etaID = try await call(["tasks.add", "-a", "[2, 2]", "--eta", CeleryTimestamp.format(eta)])
            if eta.timeIntervalSinceNow > 0.5 {
                try await Task.sleep(for: .milliseconds(Int64((eta.timeIntervalSinceNow - 0.4) * 1000)))
                #expect(try await sandbox.client.meta(etaID) == nil, "a task must not run before its ETA")
                #expect(!worker.log.taskIDs(WorkerEvent.started).contains(etaID), "a task must not start before its ETA")
            }
            let etaMeta = try await sandbox.client.waitForResults([etaID], timeout: .seconds(10))[etaID]
            #expect(etaMeta?.status == .success && etaMeta?.result == .int(4), "\(String(describing: etaMeta))\n\(worker.tail())")
            let done = try #require(etaMeta?.dateDone.flatMap { CeleryTimestamp.parse($0) }, "date_done: \(String(describing: etaMeta?.dateDone))")
            #expect(done.timeIntervalSince(eta) >= -0.01, "done at \(done), before its ETA \(eta)")

            // -k/--kwargs, alone and with positional args.
            let mixed = try await sandbox.command(["call", "tasks.add", "-a", "[2]", "-k", #"{"y": 3}"#, "--queue", queue, "--wait", "--timeout", "10"])
            #expect(mixed.succeeded && mixed.lines.count == 2 && mixed.lines.last == "5", "\(mixed)")
            let echoID = try await call(["tasks.echo", "--kwargs", #"{"value": {"a": [1, 2.5, null], "b": "x"}}"#])
            let echo = try await sandbox.client.waitForResults([echoID], timeout: .seconds(10))[echoID]
            #expect(echo?.result == .object(["a": [1, 2.5, .null], "b": "x"]), "\(String(describing: echo))")

            // tasks.fail: Celery's ValueError, as `result --json` prints the stored metadata.
            let failID = try await call(["tasks.fail", "-a", #"["boom"]"#])
            let json = try await sandbox.command(["result", failID, "--wait", "--timeout", "10", "--json"])
            #expect(json.succeeded, "\(json)")
            let meta = try JSONValue.parse(json.stdout.trimmingCharacters(in: .whitespacesAndNewlines)).objectValue
            let result = meta?["result"]?.objectValue
            #expect(meta?["status"] == "FAILURE" && meta?["task_id"] == .string(failID), "\(json)")
            #expect(result?["exc_type"] == "ValueError" && result?["exc_module"] == "builtins" && result?["exc_message"] == ["boom"], "\(json)")
            #expect(meta?["traceback"]?.stringValue?.contains("ValueError") == true, "\(json)")

            #expect(await sandbox.stopWorker(worker) == .exited(0), "\(worker.tail())")
            let started = worker.log.counts(WorkerEvent.started)
            #expect(started.values.allSatisfy { $0 == 1 }, "no task should start twice: \(started)")
        }
    }

    /// The standalone `celeriac` executable (not the example app) against a `celeriac-example` worker:
    /// `call`, `result --wait`, `status` and `call --wait` for a task only the worker knows.
    @Test func standaloneCeleriacToolDrivesAnExampleWorker() async throws {
        try await Sandbox.run { sandbox in
            let worker = try await sandbox.startWorker("tool", concurrency: 2)
            let queue = sandbox.queue
            func celeriac(_ arguments: [String]) async throws -> CommandOutput {
                try await sandbox.command(arguments, product: ExampleBinary.cli)
            }

            let call = try await celeriac(["call", "tasks.mul", "-a", "[6, 7]", "--queue", queue])
            #expect(call.succeeded && call.lines.count == 1, "\(call)")
            let id = try #require(call.lines.first, "\(call)")
            let result = try await celeriac(["result", id, "--wait", "--timeout", "10"])
            #expect(result.succeeded && result.lines == ["42"], "\(result)")
            #expect(worker.log.counts(WorkerEvent.succeeded)[id] == 1, "the example worker should run it\n\(worker.tail())")

            let waited = try await celeriac(["call", "tasks.xsum", "-a", "[[1, 2, 3.5]]", "--queue", queue, "--wait", "--timeout", "10"])
            #expect(waited.succeeded && waited.lines.last == "6.5", "\(waited)")

            let idle = "\(queue)-idle"
            let parked = try await celeriac(["call", "tasks.noop", "--queue", idle])
            #expect(parked.succeeded, "\(parked)")
            let status = try await celeriac(["status"])
            #expect(status.succeeded && status.lines.contains { $0.split(separator: " ") == [Substring(idle), "1", "0"] }, "\(status)")
            let pending = try await celeriac(["result", try #require(parked.lines.first)])
            #expect(pending.succeeded && pending.lines == ["PENDING"], "\(pending)")

            #expect(await sandbox.stopWorker(worker) == .exited(0), "\(worker.tail())")
        }
    }
}
