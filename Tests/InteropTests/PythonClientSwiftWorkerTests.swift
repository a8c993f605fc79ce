import Foundation
import Testing

extension InteropTests {
    /// Python Celery sends (`Task.apply_async`, `app.send_task`) and reads results (`AsyncResult.get`); the Swift
    /// worker (`celeriac-example worker -b redis://...`) runs the tasks.
    @Suite("Python client, Swift worker")
    struct PythonClientSwiftWorker {
        @Test("delay(...).get() returns the Swift worker's results")
        func delayAndGet() async throws {
            try await InteropSandbox.run { sandbox in
                let worker = try await sandbox.startSwiftWorker()
                let cases: [(String, String, JSONLine)] = [
                    ("tasks.add", "[2, 3]", .int(5)),
                    ("tasks.mul", "[6, 7]", .int(42)),
                    ("tasks.add", "[1.5, 2]", .double(3.5)),
                    ("tasks.xsum", "[[1, 2, 3, 4]]", .int(10)),
                    ("tasks.echo", #"[{"text": "héllo ✓", "list": [1, null, true], "n": -3}]"#,
                     .object(["text": .string("héllo ✓"), "list": .array([.int(1), .null, .bool(true)]), "n": .int(-3)])),
                    ("tasks.noop", "[]", .null),
                ]
                for (name, args, expected) in cases {
                    let call = try await sandbox.pythonCall(name, args)
                    #expect(JSONLine.parse(call.outcome) == expected, "\(name)\(args): \(call)\n\(worker.tail())")
                }
                let state = try await sandbox.waitForEmptyBroker()
                #expect(state.ready == 0 && state.unacked == 0 && state.unacked_index == 0, "messages left in Redis: \(state)")
                #expect(worker.isRunning, "\(worker.tail())")
            }
        }

        @Test("kwargs, send_task by name, and a retried task")
        func kwargsSendTaskRetry() async throws {
            try await InteropSandbox.run { sandbox in
                let worker = try await sandbox.startSwiftWorker()
                let mixed = try await sandbox.pythonCall("tasks.add", "[2]", ["--kwargs", #"{"y": 3}"#])
                #expect(mixed.outcome == "5", "args + kwargs: \(mixed)\n\(worker.tail())")
                let keywords = try await sandbox.pythonCall("tasks.mul", "[]", ["--kwargs", #"{"x": 4, "y": 5}"#])
                #expect(keywords.outcome == "20", "kwargs only: \(keywords)\n\(worker.tail())")
                // app.send_task: argsrepr "[...]" and ignore_result null in the headers.
                let byName = try await sandbox.pythonCall("tasks.xsum", "[[5, 6]]", ["--send-task"])
                #expect(byName.outcome == "11", "send_task: \(byName)\n\(worker.tail())")
                // The Swift worker republishes the retry to Redis; Python sees only the final SUCCESS.
                let retried = try await sandbox.pythonCall("tasks.retrying", "[2]", timeout: 20)
                #expect(retried.outcome == "2", "retrying(2): \(retried)\n\(worker.tail())")
                let state = try await sandbox.waitForEmptyBroker()
                #expect(state.ready == 0 && state.unacked == 0 && state.unacked_index == 0, "messages left in Redis: \(state)")
            }
        }

        @Test("a failing task raises ValueError('boom') in Python")
        func failure() async throws {
            try await InteropSandbox.run { sandbox in
                let worker = try await sandbox.startSwiftWorker()
                let call = try await sandbox.pythonCall("tasks.fail", #"["boom"]"#)
                #expect(call.outcome == "FAILURE ValueError boom", "\(call)\n\(worker.tail())")
                let meta = try await sandbox.client(["meta", call.id])
                let stored = JSONLine.parse(meta.lines.last ?? "")
                #expect(stored?["status"] == .string("FAILURE"), "stored meta: \(meta)")
                #expect(stored?["result"]?["exc_type"] == .string("ValueError"), "stored meta: \(meta)")
                #expect(stored?["task_id"] == .string(call.id), "stored meta: \(meta)")
                // A bad call is a TypeError, as in Python.
                let typeError = try await sandbox.pythonCall("tasks.add", #"[1, "x"]"#)
                #expect(typeError.outcome.hasPrefix("FAILURE TypeError"), "\(typeError)\n\(worker.tail())")
            }
        }

        @Test("countdown and eta (with an offset) delay the task")
        func countdownAndEta() async throws {
            try await InteropSandbox.run { sandbox in
                let worker = try await sandbox.startSwiftWorker()
                let countdown = try await sandbox.pythonCall("tasks.add", "[2, 3]", ["--countdown", "2"], timeout: 15)
                #expect(countdown.outcome == "5", "\(countdown)\n\(worker.tail())")
                #expect(countdown.elapsed >= 1.7, "countdown=2 finished after \(countdown.elapsed) s")
                let formatter = ISO8601DateFormatter()
                formatter.timeZone = TimeZone(secondsFromGMT: 2 * 3600)
                let eta = formatter.string(from: Date().addingTimeInterval(3))
                let delayed = try await sandbox.pythonCall("tasks.mul", "[2, 3]", ["--eta", eta], timeout: 15)
                #expect(delayed.outcome == "6", "eta \(eta): \(delayed)\n\(worker.tail())")
                #expect(delayed.elapsed >= 1.5, "eta 3 s ahead (\(eta)) finished after \(delayed.elapsed) s")
            }
        }

        @Test("an expired task is REVOKED: Python's get() raises TaskRevokedError")
        func expired() async throws {
            try await InteropSandbox.run { sandbox in
                let worker = try await sandbox.startSwiftWorker()
                let call = try await sandbox.pythonCall("tasks.add", "[2, 3]", ["--expires=-10"])
                #expect(call.outcome.hasPrefix("FAILURE TaskRevokedError"), "\(call)\n\(worker.tail())")
                let meta = try await sandbox.client(["meta", call.id])
                #expect(JSONLine.parse(meta.lines.last ?? "")?["status"] == .string("REVOKED"), "stored meta: \(meta)")
                // A later expiry runs normally.
                let later = try await sandbox.pythonCall("tasks.add", "[2, 3]", ["--expires", "60"])
                #expect(later.outcome == "5", "\(later)\n\(worker.tail())")
                let state = try await sandbox.waitForEmptyBroker()
                #expect(state.ready == 0 && state.unacked == 0, "messages left in Redis: \(state)")
            }
        }

        @Test("priorities: every priority list is consumed, lower numbers first")
        func priorities() async throws {
            try await InteropSandbox.run { sandbox in
                // Queued before any worker runs: priority 9 first, then 0, 4 and 7.
                var sent: [(id: String, priority: Int)] = []
                for priority in [9, 9, 0, 0, 4, 7] {
                    let output = try await sandbox.client(["delay", "tasks.add", "[\(priority), 100]", "--queue", sandbox.queue, "--priority", "\(priority)"])
                    let id = try #require(output.lines.last, "\(output)")
                    #expect(output.succeeded, "\(output)")
                    sent.append((id, priority))
                }
                let queued = try await sandbox.redisState()
                // kombu: 0-2 -> the plain list, 3-5 -> "\x06\x163", 6-8 -> "...6", 9 -> "...9".
                #expect(queued.lists == ["0": 2, "3": 1, "6": 1, "9": 2], "Python's priority lists: \(queued)")
                let worker = try await sandbox.startSwiftWorker(concurrency: 1, extra: ["--prefetch-multiplier", "1"])
                for (id, priority) in sent {
                    let output = try await sandbox.client(["get", id, "--timeout", "15"])
                    #expect(output.lines.last == "\(priority + 100)", "priority \(priority): \(output)\n\(worker.tail())")
                }
                let order = SwiftWorkerLog(worker.standardError).taskIDs("Task received")
                let priorityOf = Dictionary(sent.map { ($0.id, $0.priority) }, uniquingKeysWith: { first, _ in first })
                let received = order.compactMap { priorityOf[$0] }
                #expect(received == [0, 0, 4, 7, 9, 9], "the order the Swift worker took the tasks by priority: \(received)")
                let state = try await sandbox.waitForEmptyBroker()
                #expect(state.ready == 0 && state.unacked == 0, "messages left in Redis: \(state)")
            }
        }
    }
}
