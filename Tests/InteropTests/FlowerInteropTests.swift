import CeleriacTesting
import Foundation
import Testing

/// Real Flower (2.0.1, from the interop venv) on the sandbox's Redis, watching a Swift worker.
struct FlowerServer {
    let process: ChildProcess
    let base: String
    let sandbox: InteropSandbox

    /// Starts `python -m celery --broker=<redis> --result-backend=<redis> flower --port=<free> --address=127.0.0.1`
    /// with `FLOWER_UNAUTHENTICATED_API=true` (Flower 2 refuses its API otherwise) and waits for `/healthcheck`.
    static func start(in sandbox: InteropSandbox) async throws -> FlowerServer {
        let port = try RedisServerProcess.freePort()
        let process = try sandbox.start(
            "flower", executable: "/usr/bin/env",
            ["FLOWER_UNAUTHENTICATED_API=true", sandbox.python, "-m", "celery", "--broker=\(sandbox.redisURL)", "--result-backend=\(sandbox.redisURL)",
             "flower", "--port=\(port)", "--address=127.0.0.1", "--inspect_timeout=3000"])
        let server = FlowerServer(process: process, base: "http://127.0.0.1:\(port)", sandbox: sandbox)
        let wait = try await sandbox.run("flower-wait", executable: sandbox.python, [script, "wait", server.base, "--timeout", "40"], timeout: .seconds(50))
        guard wait.succeeded, process.isRunning else { throw InteropError("Flower did not start:\n\(wait)\n\(process.tail())") }
        return server
    }

    static var script: String { (Interop.pythonDirectory as NSString).appendingPathComponent("flower_api.py") }

    /// `GET <base><path>`: the HTTP status and the JSON body.
    func get(_ path: String) async throws -> (status: Int, body: JSONLine) {
        try await call(["get", base + path])
    }

    /// `POST <base><path>` with a JSON body.
    func post(_ path: String, _ data: String? = nil) async throws -> (status: Int, body: JSONLine) {
        try await call(["post", base + path] + (data.map { ["--data", $0] } ?? []))
    }

    private func call(_ arguments: [String]) async throws -> (status: Int, body: JSONLine) {
        let output = try await sandbox.run("flower-api", executable: sandbox.python, [Self.script] + arguments, timeout: .seconds(40))
        guard output.succeeded, let line = output.lines.last, let reply = JSONLine.parse(line), let status = reply["status"]?.int else {
            throw InteropError("flower_api.py \(arguments.joined(separator: " ")) failed:\n\(output)\n\(process.tail())")
        }
        return (status, reply["body"] ?? .null)
    }
}

extension InteropTests {
    /// Flower itself, the dashboard most Celery users run, against a Swift worker: its API lists the worker, its
    /// tasks and their states from the worker's events, revokes through the pidbox, and resizes the pool.
    @Suite("Flower")
    struct Flower {
        @Test("Flower's API lists the Swift worker, the tasks it ran with their states, and revokes a running task")
        func flowerWatchesTheSwiftWorker() async throws {
            try await InteropSandbox.run { sandbox in
                let worker = try await sandbox.startSwiftWorker(extra: ["-E"])
                let flower = try await FlowerServer.start(in: sandbox)
                let node = "swift@interop"

                // /api/workers: Flower's inspect of every node (stats, registered, active_queues, conf...).
                var workers = try await flower.get("/api/workers?refresh=1")
                let listed = try await eventually(timeout: .seconds(20), interval: .milliseconds(500)) {
                    workers = try await flower.get("/api/workers?refresh=1")
                    return workers.body[node]?["stats"] != nil && workers.body[node]?["registered"] != nil
                }
                try #require(listed, "\(workers)\n\(flower.process.tail())\n\(worker.tail())")
                let info = try #require(workers.body[node])
                guard case .array(let registered)? = info["registered"] else {
                    Issue.record("registered: \(info)")
                    return
                }
                #expect(registered.contains(.string("tasks.add")) && registered.contains(.string("tasks.sleep")), "\(registered)")
                #expect(info["stats"]?["pool"]?["max-concurrency"] == .int(2), "\(info)")
                #expect(info["stats"]?["broker"]?["transport"] == .string("redis"), "\(info)")
                #expect("\(info["active_queues"] ?? .null)".contains("\"\(sandbox.queue)\""), "\(info)")

                // Tasks sent through Flower's own API (send-task: no Python task code needed) to the worker's queue.
                func send(_ name: String, _ args: String) async throws -> String {
                    let sent = try await flower.post("/api/task/send-task/\(name)", #"{"args": \#(args), "queue": "\#(sandbox.queue)"}"#)
                    guard sent.status == 200, let id = sent.body["task-id"]?.string else { throw InteropError("send-task \(name): \(sent)") }
                    return id
                }
                let added = [try await send("tasks.add", "[2, 3]"), try await send("tasks.add", "[4, 5]")]
                let failed = try await send("tasks.fail", #"["flower boom"]"#)
                let slow = try await send("tasks.sleep", "[60]")

                // /api/tasks: Flower's state, built from the worker's task events only.
                var tasks = try await flower.get("/api/tasks")
                let seen = try await eventually(timeout: .seconds(20), interval: .milliseconds(500)) {
                    tasks = try await flower.get("/api/tasks")
                    return added.allSatisfy { tasks.body[$0]?["state"] == .string("SUCCESS") }
                        && tasks.body[failed]?["state"] == .string("FAILURE") && tasks.body[slow]?["state"] == .string("STARTED")
                }
                #expect(seen, "\(tasks)\n\(worker.tail())")
                #expect(tasks.body[added[0]]?["result"] == .string("5") && tasks.body[added[1]]?["result"] == .string("9"), "\(tasks)")
                #expect(tasks.body[added[0]]?["worker"] == .string(node) && tasks.body[added[0]]?["name"] == .string("tasks.add"), "\(tasks)")
                #expect(tasks.body[added[0]]?["args"] == .string("[2, 3]"), "\(tasks)")
                #expect(tasks.body[failed]?["exception"]?.string?.contains("flower boom") == true, "\(tasks)")
                let result = try await flower.get("/api/task/result/\(added[1])")
                #expect(result.body["state"] == .string("SUCCESS") && result.body["result"] == .int(9), "\(result)")

                // Revoke with terminate through Flower (it sends terminate=1, not true): the task ends REVOKED.
                let revoke = try await flower.post("/api/task/revoke/\(slow)?terminate=true")
                #expect(revoke.status == 200, "\(revoke)")
                var slowInfo = try await flower.get("/api/task/info/\(slow)")
                let revoked = try await eventually(timeout: .seconds(15), interval: .milliseconds(300)) {
                    slowInfo = try await flower.get("/api/task/info/\(slow)")
                    return slowInfo.body["state"] == .string("REVOKED")
                }
                #expect(revoked, "Flower should see task-revoked at once, not the 60 s sleep end:\n\(slowInfo)\n\(worker.tail())")
                let stored = try await flower.get("/api/task/result/\(slow)")
                #expect(stored.body["state"] == .string("REVOKED"), "\(stored)")
                #expect(SwiftWorkerLog(worker.standardError).contains("Task terminated by revoke"), "\(worker.tail())")

                // Flower's worker page renders from the same stats (the Python template indexes broker and total).
                let page = try await flower.get("/worker/\(node)")
                #expect(page.status == 200, "\(page.status)\n\(flower.process.tail())")
                #expect(worker.isRunning)
            }
        }

        @Test("Pool size at run time: celery control pool_grow/pool_shrink and Flower's autoscale resize a Swift worker")
        func poolGrowShrinkAndAutoscale() async throws {
            try await InteropSandbox.run { sandbox in
                let worker = try await sandbox.startSwiftWorker(extra: ["-E"])
                let node = "swift@interop"
                func maxConcurrency() async throws -> JSONLine? {
                    try await sandbox.monitorJSON(["inspect", "stats", "--destination", node])[node]?["pool"]?["max-concurrency"]
                }
                // Celery's own CLI: `celery control pool_grow 2`.
                let grow = try await sandbox.run(
                    "celery-pool-grow", executable: sandbox.python,
                    ["-m", "celery", "-A", "interop_tasks", "control", "pool_grow", "2", "-d", node, "--timeout", "5"], timeout: .seconds(40))
                #expect(grow.succeeded && grow.stdout.contains("pool will grow"), "\(grow)\n\(worker.tail())")
                #expect(try await maxConcurrency() == .int(4))
                let stats = try await sandbox.monitorJSON(["inspect", "stats", "--destination", node])
                #expect(stats[node]?["prefetch_count"] == .int(16), "4 slots x multiplier 4: \(stats)")

                let shrink = try await sandbox.run(
                    "celery-pool-shrink", executable: sandbox.python,
                    ["-m", "celery", "-A", "interop_tasks", "control", "pool_shrink", "1", "-d", node, "--timeout", "5"], timeout: .seconds(40))
                #expect(shrink.succeeded && shrink.stdout.contains("pool will shrink"), "\(shrink)")
                #expect(try await maxConcurrency() == .int(3))

                // Three sleeps run at once in a pool of 3: `inspect active` lists all three.
                var ids: [String] = []
                for _ in 0..<3 {
                    ids.append(try #require(try await sandbox.client(["delay", "tasks.sleep", "[4]", "--queue", sandbox.queue]).lines.last))
                }
                var active = try await sandbox.monitorJSON(["inspect", "active", "--destination", node])
                let together = try await eventually(timeout: .seconds(15), interval: .milliseconds(300)) {
                    active = try await sandbox.monitorJSON(["inspect", "active", "--destination", node])
                    guard case .array(let running)? = active[node] else { return false }
                    return Set(running.compactMap { $0["id"]?.string }) == Set(ids)
                }
                #expect(together, "\(active)\n\(worker.tail())")
                for id in ids {
                    let get = try await sandbox.client(["get", id, "--timeout", "20"])
                    #expect(get.lines.last == "4", "\(get)")
                }

                // Flower's autoscale endpoint, then pool_grow is refused as Celery refuses it under autoscale.
                let flower = try await FlowerServer.start(in: sandbox)
                // Flower acts only on workers it knows: list them first.
                let known = try await eventually(timeout: .seconds(20), interval: .milliseconds(500)) {
                    try await flower.get("/api/workers?refresh=1").body[node]?["stats"] != nil
                }
                try #require(known, "\(flower.process.tail())")
                let autoscale = try await flower.post("/api/worker/pool/autoscale/\(node)?min=1&max=6")
                #expect(autoscale.status == 200 && "\(autoscale.body)".contains("Autoscaling"), "\(autoscale)\n\(flower.process.tail())")
                let afterAutoscale = try await sandbox.monitorJSON(["inspect", "stats", "--destination", node])
                #expect(afterAutoscale[node]?["autoscaler"]?["max"] == .int(6) && afterAutoscale[node]?["autoscaler"]?["min"] == .int(1), "\(afterAutoscale)")
                let refused = try await sandbox.monitorJSON(["control", "pool_grow", "--arguments", #"{"n": 1}"#, "--destination", node])
                #expect("\(refused)".contains("not supported with autoscale"), "\(refused)")
                #expect(worker.isRunning)
            }
        }
    }
}
