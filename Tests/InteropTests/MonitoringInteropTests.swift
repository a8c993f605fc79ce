import Foundation
import Testing

extension InteropSandbox {
    /// Runs `python monitor.py <arguments>` (see `python/monitor.py`): Celery's own inspect, control and event
    /// receiver, as `celery inspect` and Flower use them.
    func monitor(_ arguments: [String], timeout: Duration = .seconds(30)) async throws -> CommandOutput {
        let script = (Interop.pythonDirectory as NSString).appendingPathComponent("monitor.py")
        return try await run("python-monitor-\(arguments.first ?? "command")", executable: python, [script] + arguments, timeout: timeout)
    }

    /// The JSON line `monitor.py` printed last.
    func monitorJSON(_ arguments: [String]) async throws -> JSONLine {
        let output = try await monitor(arguments)
        guard output.succeeded, let line = output.lines.last, let value = JSONLine.parse(line) else {
            throw InteropError("monitor.py \(arguments.joined(separator: " ")) failed:\n\(output)")
        }
        return value
    }
}

extension InteropTests {
    /// Events and remote control across the two languages: Celery's `inspect`, `control` and event receiver
    /// (what `celery inspect` and Flower use) against a Swift worker, and Celeriac's against a Python worker.
    @Suite("Monitoring and remote control")
    struct Monitoring {
        @Test("Celery's inspect lists the Swift worker: ping, registered, stats, active_queues, active, query_task")
        func pythonInspectsTheSwiftWorker() async throws {
            try await InteropSandbox.run { sandbox in
                let worker = try await sandbox.startSwiftWorker()
                let node = "swift@interop"
                let ping = try await sandbox.monitorJSON(["inspect", "ping"])
                #expect(ping[node] == .object(["ok": .string("pong")]), "\(ping)\n\(worker.tail())")
                let registered = try await sandbox.monitorJSON(["inspect", "registered", "--destination", node])
                guard case .array(let names)? = registered[node] else {
                    Issue.record("registered: \(registered)")
                    return
                }
                #expect(names.contains(.string("tasks.add")) && names.contains(.string("celery.map")), "\(names)")
                let stats = try await sandbox.monitorJSON(["inspect", "stats", "--destination", node])
                #expect(stats[node]?["pid"]?.int != nil && stats[node]?["pool"]?["max-concurrency"] == .int(2), "\(stats)")
                let queues = try await sandbox.monitorJSON(["inspect", "active_queues", "--destination", node])
                #expect("\(queues)".contains("\"\(sandbox.queue)\""), "\(queues)")

                // A running task shows in `active` and `query_task`, with Celery's request fields.
                let id = try #require(try await sandbox.client(["delay", "tasks.sleep", "[5]", "--queue", sandbox.queue]).lines.last)
                let running = await eventually(timeout: .seconds(10)) { SwiftWorkerLog(worker.standardError).taskIDs("Task started").contains(id) || worker.standardError.contains(id) }
                try #require(running, "\(worker.tail())")
                try await Task.sleep(for: .milliseconds(300))
                let active = try await sandbox.monitorJSON(["inspect", "active", "--destination", node])
                guard case .array(let requests)? = active[node], let request = requests.first else {
                    Issue.record("active: \(active)\n\(worker.tail())")
                    return
                }
                #expect(request["id"] == .string(id) && request["name"] == .string("tasks.sleep") && request["args"] == .array([.int(5)]), "\(request)")
                #expect(request["hostname"] == .string(node) && request["acknowledged"] == .bool(true), "\(request)")
                let query = try await sandbox.monitorJSON(["inspect", "query_task", "--destination", node, "--arg", "[\"\(id)\"]"])
                #expect(query[node]?[id] != nil && "\(query)".contains("active"), "\(query)")
            }
        }

        @Test("Celery's control revoke with terminate stops a running Swift task; rate_limit and enable_events reply")
        func pythonControlsTheSwiftWorker() async throws {
            try await InteropSandbox.run { sandbox in
                let worker = try await sandbox.startSwiftWorker()
                let node = "swift@interop"
                let id = try #require(try await sandbox.client(["delay", "tasks.sleep", "[30]", "--queue", sandbox.queue]).lines.last)
                let running = await eventually(timeout: .seconds(10)) { worker.standardError.contains(id) }
                try #require(running, "\(worker.tail())")
                try await Task.sleep(for: .milliseconds(500))
                let revoke = try await sandbox.monitorJSON([
                    "control", "revoke", "--arguments", #"{"task_id": "\#(id)", "terminate": true, "signal": "SIGTERM"}"#,
                ])
                #expect("\(revoke)".contains("flagged as revoked"), "\(revoke)")
                let get = try await sandbox.client(["get", id, "--timeout", "10"])
                #expect(get.lines.last?.hasPrefix("FAILURE TaskRevokedError") == true, "the task should end REVOKED at once: \(get)\n\(worker.tail())")

                let rate = try await sandbox.monitorJSON(["control", "rate_limit", "--arguments", #"{"task_name": "tasks.add", "rate_limit": "10/m"}"#])
                #expect("\(rate)".contains("new rate limit set successfully"), "\(rate)")
                let unknown = try await sandbox.monitorJSON(["control", "rate_limit", "--arguments", #"{"task_name": "tasks.nope", "rate_limit": "1/s"}"#])
                #expect("\(unknown)".contains("unknown task"), "\(unknown)")
                let registered = try await sandbox.monitorJSON(["inspect", "registered", "--destination", node])
                #expect("\(registered)".contains("tasks.add [rate_limit=10/m]"), "\(registered)")
                let events = try await sandbox.monitorJSON(["control", "enable_events"])
                #expect("\(events)".contains("task events enabled"), "\(events)")
                #expect(worker.isRunning)
            }
        }

        @Test("Celery's event receiver (Flower's) sees a Swift worker's worker and task events with their fields")
        func pythonReceivesSwiftEvents() async throws {
            try await InteropSandbox.run { sandbox in
                let receiver = try sandbox.start(
                    "python-events", executable: sandbox.python,
                    [(Interop.pythonDirectory as NSString).appendingPathComponent("monitor.py"), "events", "--seconds", "8"])
                let listening = await eventually(timeout: .seconds(15)) { receiver.standardOutput.contains("ready") }
                try #require(listening, "\(receiver.tail())")
                let worker = try await sandbox.startSwiftWorker(extra: ["-E"])
                let call = try await sandbox.pythonCall("tasks.add", "[2, 3]")
                #expect(call.outcome == "5", "\(call)")
                let ended = await receiver.waitForExit(timeout: .seconds(15))
                #expect(ended == .exited(0), "\(receiver.tail())")
                guard let line = receiver.standardOutput.split(separator: "\n").last, case .array(let events)? = JSONLine.parse(String(line)) else {
                    Issue.record("no events captured: \(receiver.tail())\n\(worker.tail())")
                    return
                }
                let online = events.first { $0["type"] == .string("worker-online") }
                #expect(online?["hostname"] == .string("swift@interop") && online?["sw_ident"] == .string("celeriac"), "\(events)")
                #expect(online?["freq"] == .int(2) || online?["freq"] == .double(2), "\(String(describing: online))")
                let mine = events.filter { $0["uuid"] == .string(call.id) }.compactMap { $0["type"]?.string }
                #expect(mine == ["task-received", "task-started", "task-succeeded"], "\(mine)")
                let succeeded = events.first { $0["uuid"] == .string(call.id) && $0["type"] == .string("task-succeeded") }
                #expect(succeeded?["result"] == .string("5"), "\(String(describing: succeeded))")
                #expect(events.contains { $0["type"] == .string("worker-heartbeat") }, "heartbeats every 2 s")
            }
        }

        @Test("celeriac inspect, control and events work against a Python worker")
        func swiftMonitorsThePythonWorker() async throws {
            try await InteropSandbox.run { sandbox in
                let events = try sandbox.start(
                    "swift-events", executable: sandbox.example, ["events", "--json", "--timeout", "10", "-b", sandbox.redisURL])
                let listening = await eventually(timeout: .seconds(10)) { events.standardError.contains("listening") }
                try #require(listening, "\(events.tail())")
                // -E: a worker started without gossip and heartbeats sends no events at all otherwise.
                let worker = try await sandbox.startPythonWorker(extra: ["-E"])
                let node = "py@interop"
                let ping = try await sandbox.swift(["inspect", "ping"])
                #expect(ping.succeeded && ping.stdout.contains("-> \(node): OK") && ping.stdout.contains("pong"), "\(ping)\n\(worker.tail())")
                let stats = try await sandbox.swift(["inspect", "stats", "-d", node, "--json"])
                let parsed = JSONLine.parse(stats.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
                #expect(parsed?[node]?["pool"]?["implementation"] == .string("celery.concurrency.solo:TaskPool"), "\(stats)")
                let rate = try await sandbox.swift(["control", "rate_limit", "tasks.add", "5/s", "-d", node])
                #expect(rate.succeeded && rate.stdout.contains("new rate limit set successfully"), "\(rate)")
                let enable = try await sandbox.swift(["control", "enable_events", "-d", node])
                #expect(enable.succeeded && enable.stdout.contains("task events"), "\(enable)")
                let call = try await sandbox.swift(["call", "tasks.add", "-a", "[4, 5]", "--queue", sandbox.queue, "--wait", "--timeout", "10"])
                #expect(call.lines.last == "9", "\(call)")
                let id = try #require(call.lines.first)
                let seen = await eventually(timeout: .seconds(8)) { events.standardOutput.contains("\"task-succeeded\"") && events.standardOutput.contains(id) }
                #expect(seen, "celeriac events should print the Python worker's task events:\n\(events.standardOutput.suffix(3000))")
                let nobody = try await sandbox.swift(["inspect", "ping", "-d", "nobody@nowhere"])
                #expect(nobody.exit == .exited(69) && nobody.stderr.contains("No nodes replied"), "\(nobody)")
            }
        }
    }
}
