import Foundation
import Testing

extension InteropTests {
    /// The Swift client (`celeriac-example call ... --wait`, `result`) sends and reads results; a Python Celery
    /// worker (`celery -A interop_tasks worker -P solo`) runs the tasks.
    @Suite("Swift client, Python worker")
    struct SwiftClientPythonWorker {
        @Test("call tasks.add --wait prints the Python worker's result")
        func callAndWait() async throws {
            try await InteropSandbox.run { sandbox in
                let worker = try await sandbox.startPythonWorker()
                let call = try await sandbox.swift(["call", "tasks.add", "-a", "[2, 3]", "--queue", sandbox.queue, "--wait", "--timeout", "10"])
                #expect(call.succeeded, "\(call)\n\(worker.tail())")
                #expect(call.lines.count == 2 && call.lines.last == "5", "\(call)\n\(worker.tail())")
                let id = try #require(call.lines.first)
                #expect(PythonWorkerLog(worker.standardError).taskIDs("succeeded").contains(id), "the Python worker did not log the task\n\(worker.tail())")

                let echo = try await sandbox.swift([
                    "call", "tasks.echo", "-a", #"[{"text": "héllo ✓", "nested": {"list": [1, 2.5, null, false]}}]"#, "--queue", sandbox.queue, "--wait", "--timeout", "10",
                ])
                #expect(echo.succeeded, "\(echo)")
                let expected = JSONLine.object(["text": .string("héllo ✓"), "nested": .object(["list": .array([.int(1), .double(2.5), .null, .bool(false)])])])
                #expect(echo.lines.count == 2 && JSONLine.parse(echo.lines.last ?? "") == expected, "\(echo)")

                // `result` reads what the Python worker stored.
                let result = try await sandbox.swift(["result", id, "--json"])
                #expect(result.succeeded, "\(result)")
                let meta = JSONLine.parse(result.lines.last ?? "")
                #expect(meta?["status"] == .string("SUCCESS"), "\(result)")
                #expect(meta?["result"] == .int(5), "\(result)")
                #expect(meta?["task_id"] == .string(id), "\(result)")
                let plain = try await sandbox.swift(["result", id])
                #expect(plain.lines == ["5"], "\(plain)")
            }
        }

        @Test("a failing Python task gives FAILURE ValueError")
        func failure() async throws {
            try await InteropSandbox.run { sandbox in
                let worker = try await sandbox.startPythonWorker()
                let call = try await sandbox.swift(["call", "tasks.fail", "-a", #"["boom"]"#, "--queue", sandbox.queue, "--wait", "--timeout", "10"])
                #expect(!call.succeeded && call.exit != nil, "a failed task must end `call --wait` with an error: \(call)")
                let text = call.stdout + call.stderr
                #expect(text.contains("FAILURE") && text.contains("ValueError('boom')"), "\(call)\n\(worker.tail())")
                let id = try #require(call.lines.first)
                let result = try await sandbox.swift(["result", id])
                #expect(result.lines.first == "FAILURE: ValueError('boom')", "\(result)")
                #expect(result.stdout.contains("Traceback"), "the Python traceback should be printed: \(result)")
            }
        }

        @Test("a task only the Python worker knows, called by name, with kwargs")
        func pythonOnlyTask() async throws {
            try await InteropSandbox.run { sandbox in
                let worker = try await sandbox.startPythonWorker()
                let call = try await sandbox.swift([
                    "call", "interop.pyonly", "-a", #"["x"]"#, "-k", #"{"suffix": "?"}"#, "--queue", sandbox.queue, "--wait", "--timeout", "10",
                ])
                #expect(call.succeeded, "\(call)\n\(worker.tail())")
                #expect(JSONLine.parse(call.lines.last ?? "") == .object(["lang": .string("py"), "value": .string("x"), "suffix": .string("?")]), "\(call)")
                let retried = try await sandbox.swift(["call", "tasks.retrying", "-a", "[2]", "--queue", sandbox.queue, "--wait", "--timeout", "20"])
                #expect(retried.succeeded && retried.lines.last == "2", "retrying(2) on the Python worker: \(retried)\n\(worker.tail())")
            }
        }

        @Test("the Python worker reads the Swift message's headers, priority, queue and countdown")
        func messageAsPythonSeesIt() async throws {
            try await InteropSandbox.run { sandbox in
                let worker = try await sandbox.startPythonWorker()
                let started = ContinuousClock.now
                let call = try await sandbox.swift([
                    "call", "interop.request_info", "-a", #"[1, "two"]"#, "-k", #"{"k": 3}"#, "--queue", sandbox.queue, "--priority", "7",
                    "--countdown", "1", "--wait", "--timeout", "15",
                ])
                let elapsed = ContinuousClock.now - started
                #expect(call.succeeded, "\(call)\n\(worker.tail())")
                let id = try #require(call.lines.first)
                let info = try #require(JSONLine.parse(call.lines.last ?? ""), "\(call)")
                #expect(info["id"] == .string(id), "\(info)")
                #expect(info["task"] == .string("interop.request_info"), "\(info)")
                #expect(info["args"] == .array([.int(1), .string("two")]), "\(info)")
                #expect(info["kwargs"] == .object(["k": .int(3)]), "\(info)")
                #expect(info["retries"] == .int(0), "\(info)")
                #expect(info["root_id"] == .string(id), "\(info)")
                #expect(info["routing_key"] == .string(sandbox.queue), "\(info)")
                #expect(info["priority"] == .int(7), "\(info)")
                #expect(info["eta"]?.string != nil, "countdown must set the eta header: \(info)")
                #expect(elapsed >= .milliseconds(900), "countdown=1 finished after \(elapsed)")
            }
        }

        @Test("an expired Swift message is REVOKED by the Python worker")
        func expired() async throws {
            try await InteropSandbox.run { sandbox in
                let worker = try await sandbox.startPythonWorker()
                let call = try await sandbox.swift(["call", "tasks.add", "-a", "[2, 3]", "--queue", sandbox.queue, "--expires=-10", "--wait", "--timeout", "10"])
                #expect(!call.succeeded && call.exit != nil, "\(call)")
                let id = try #require(call.lines.first)
                let result = try await sandbox.swift(["result", id, "--json"])
                #expect(JSONLine.parse(result.lines.last ?? "")?["status"] == .string("REVOKED"), "\(result)\n\(worker.tail())")
            }
        }
    }
}
