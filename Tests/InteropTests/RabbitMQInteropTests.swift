import Foundation
import Testing

extension InteropTests {
    /// Python Celery 5.7 and Celeriac on one real RabbitMQ node (py-amqp on the Python side, CeleriacAMQP on
    /// ours): each client with the other's worker, with results over Redis, SQLite and `rpc://`, both workers on
    /// one queue, and quorum queues.
    @Suite("RabbitMQ: Python and Swift")
    struct RabbitMQInterop {
        @Test("Python client → Swift worker, Redis results: apply_async options, kwargs, send_task, failure, retry")
        func pythonClientSwiftWorkerRedis() async throws {
            try await withRabbitMQInterop { world in
                let backend = world.sandbox.redisURL
                let worker = try await world.startSwiftWorker(backend: backend)
                let add = try await world.pythonCall("tasks.add", "[2, 3]", backend: backend)
                #expect(add.outcome == "5", "\(add)\n\(worker.tail())")
                let kwargs = try await world.pythonCall("tasks.mul", "[]", ["--kwargs", #"{"x": 4, "y": 5}"#], backend: backend)
                #expect(kwargs.outcome == "20", "\(kwargs)\n\(worker.tail())")
                let byName = try await world.pythonCall("tasks.xsum", "[[5, 6]]", ["--send-task"], backend: backend)
                #expect(byName.outcome == "11", "\(byName)\n\(worker.tail())")
                let countdown = try await world.pythonCall("tasks.add", "[1, 1]", ["--countdown", "2", "--priority", "5", "--expires", "60"], backend: backend, timeout: 20)
                #expect(countdown.outcome == "2", "\(countdown)\n\(worker.tail())")
                #expect(countdown.elapsed >= 1.7, "countdown=2 finished after \(countdown.elapsed) s")
                let expired = try await world.pythonCall("tasks.add", "[1, 1]", ["--expires", "-5"], backend: backend)
                #expect(expired.outcome.hasPrefix("FAILURE TaskRevokedError"), "an expired task: \(expired)\n\(worker.tail())")
                let failure = try await world.pythonCall("tasks.fail", #"["boom"]"#, backend: backend)
                #expect(failure.outcome == "FAILURE ValueError boom", "\(failure)\n\(worker.tail())")
                let retried = try await world.pythonCall("tasks.retrying", "[2]", backend: backend, timeout: 30)
                #expect(retried.outcome == "2", "\(retried)\n\(worker.tail())")
                let left = try await eventually(timeout: .seconds(10), interval: .milliseconds(300)) {
                    try await world.queueCounts().map { $0.ready == 0 && $0.unacked == 0 } ?? false
                }
                let counts = try await world.queueCounts()
                #expect(left, "messages left: \(String(describing: counts))")
                #expect(worker.isRunning, "\(worker.tail())")
            }
        }

        @Test("Python client → Swift worker, SQLite results read back by the Swift CLI")
        func pythonClientSwiftWorkerSQLite() async throws {
            try await withRabbitMQInterop { world in
                let backend = world.sqliteURL
                let worker = try await world.startSwiftWorker(backend: backend)
                let sent = try await world.client(["delay", "tasks.add", "[20, 22]", "--queue", world.queue], backend: "rpc://")
                let failing = try await world.client(["delay", "tasks.fail", #"["sqlite boom"]"#, "--queue", world.queue], backend: "rpc://")
                let id = try #require(sent.lines.last, "\(sent)")
                let failingID = try #require(failing.lines.last, "\(failing)")
                let result = try await world.swift(["result", id, "--wait", "--timeout", "20"], backend: backend)
                #expect(result.lines.last == "42", "\(result)\n\(worker.tail())")
                let failed = try await world.swift(["result", failingID, "--wait", "--timeout", "20", "--json"], backend: backend)
                #expect(failed.stdout.contains("FAILURE") && failed.stdout.contains("sqlite boom"), "\(failed)\n\(worker.tail())")
            }
        }

        @Test("rpc:// both ways: Python client → Swift worker, Swift client → Python worker, results and failures")
        func rpcBothWays() async throws {
            try await withRabbitMQInterop { world in
                let swiftWorker = try await world.startSwiftWorker(backend: "rpc://")
                let add = try await world.pythonCall("tasks.add", "[7, 8]", backend: "rpc://")
                #expect(add.outcome == "15", "\(add)\n\(swiftWorker.tail())")
                let failure = try await world.pythonCall("tasks.fail", #"["rpc boom"]"#, backend: "rpc://")
                #expect(failure.outcome == "FAILURE ValueError rpc boom", "\(failure)\n\(swiftWorker.tail())")
                let retried = try await world.pythonCall("tasks.retrying", "[1]", backend: "rpc://", timeout: 30)
                #expect(retried.outcome == "1", "\(retried)\n\(swiftWorker.tail())")
                await swiftWorker.stop()

                let pythonWorker = try await world.startPythonWorker(backend: "rpc://")
                let called = try await world.swift(["call", "interop.pyonly", "--args", #"["from swift"]"#, "--queue", world.queue, "--wait", "--timeout", "30"], backend: "rpc://")
                #expect(called.succeeded && called.stdout.contains("from swift") && called.stdout.contains("py"), "\(called)\n\(pythonWorker.tail())")
                let failed = try await world.swift(["call", "tasks.fail", "--args", #"["py boom"]"#, "--queue", world.queue, "--wait", "--timeout", "30"], backend: "rpc://")
                #expect(!failed.succeeded && (failed.stderr + failed.stdout).contains("py boom"), "\(failed)\n\(pythonWorker.tail())")
            }
        }

        @Test("Swift client → Python worker by name, Redis results")
        func swiftClientPythonWorker() async throws {
            try await withRabbitMQInterop { world in
                let backend = world.sandbox.redisURL
                let worker = try await world.startPythonWorker(backend: backend)
                let called = try await world.swift(["call", "interop.pyonly", "--args", "[41]", "--kwargs", #"{"suffix": "?"}"#, "--queue", world.queue, "--wait", "--timeout", "30"], backend: backend)
                #expect(called.succeeded && called.stdout.contains("41") && called.stdout.contains("?"), "\(called)\n\(worker.tail())")
                let info = try await world.swift(["call", "interop.request_info", "--args", "[1, 2]", "--queue", world.queue, "--priority", "3", "--wait", "--timeout", "30"], backend: backend)
                #expect(info.succeeded && info.stdout.contains(world.queue), "delivery info names the queue: \(info)\n\(worker.tail())")
                let ids = PythonWorkerLog(worker.standardError).taskIDs("succeeded")
                #expect(ids.count == 2, "\(worker.tail())")
            }
        }

        @Test("Python and Swift workers on one queue: 200 tasks, each done exactly once")
        func mixedWorkersOnOneQueue() async throws {
            try await withRabbitMQInterop { world in
                let backend = world.sandbox.redisURL
                let pythonWorker = try await world.startPythonWorker(backend: backend)
                let swiftWorker = try await world.startSwiftWorker(backend: backend, concurrency: 2)
                let count = 200
                let output = try await world.client(["batch", "--count", "\(count)", "--queue", world.queue, "--timeout", "90"], backend: backend, timeout: .seconds(150))
                #expect(output.succeeded, "\(output)")
                let batch = try #require(JSONLine.parse(output.lines.last ?? ""), "\(output)")
                guard case .array(let idValues)? = batch["ids"], case .object(let results)? = batch["results"], case .object(let errors)? = batch["errors"] else {
                    Issue.record("unexpected batch output: \(output)")
                    return
                }
                let ids = idValues.compactMap(\.string)
                #expect(ids.count == count)
                #expect(errors.isEmpty, "tasks without a result: \(errors.prefix(5))")
                for (index, id) in ids.enumerated() where results[id] != .int(index + 1000) {
                    Issue.record("task \(index) (\(id)): \(results[id].map { "\($0)" } ?? "no result")")
                }
                let ranByPython = PythonWorkerLog(pythonWorker.standardError).taskIDs("succeeded")
                let ranBySwift = SwiftWorkerLog(swiftWorker.standardError).taskIDs("Task started")
                let all = Set(ids)
                let runs = (ranByPython + ranBySwift).filter { all.contains($0) }.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
                #expect(runs.filter { $0.value > 1 }.isEmpty, "tasks run more than once: \(runs.filter { $0.value > 1 }.prefix(10))")
                #expect(all.filter { runs[$0] == nil }.isEmpty, "tasks no worker logged")
                let pythonCount = ranByPython.filter { all.contains($0) }.count
                let swiftCount = ranBySwift.filter { all.contains($0) }.count
                #expect(pythonCount > 0 && swiftCount > 0, "Python ran \(pythonCount), Swift ran \(swiftCount)")
                #expect(pythonCount + swiftCount == count)
                let left = try await eventually(timeout: .seconds(10), interval: .milliseconds(300)) {
                    try await world.queueCounts().map { $0.ready == 0 && $0.unacked == 0 } ?? false
                }
                #expect(left)
            }
        }

        @Test("quorum queues: both clients and both workers with task_default_queue_type='quorum'")
        func quorumQueues() async throws {
            try await withRabbitMQInterop { world in
                let backend = world.sandbox.redisURL
                let quorum = ["INTEROP_QUEUE_TYPE": "quorum", "CELERY_TASK_DEFAULT_QUEUE_TYPE": "quorum"]
                let swiftWorker = try await world.startSwiftWorker(backend: backend, extra: quorum)
                let type = try await world.queueType()
                #expect(type == "quorum", "the Swift worker declared a \(String(describing: type)) queue")
                let add = try await world.pythonCall("tasks.add", "[3, 4]", backend: backend, extra: quorum)
                #expect(add.outcome == "7", "\(add)\n\(swiftWorker.tail())")
                let delayed = try await world.pythonCall("tasks.add", "[1, 2]", ["--countdown", "2"], backend: backend, extra: quorum, timeout: 30)
                #expect(delayed.outcome == "3", "a countdown through native delayed delivery: \(delayed)\n\(swiftWorker.tail())")
                #expect(delayed.elapsed >= 1.5, "countdown=2 finished after \(delayed.elapsed) s")
                await swiftWorker.stop()
                let pythonWorker = try await world.startPythonWorker(backend: backend, extra: quorum)
                let called = try await world.swift(["call", "tasks.mul", "--args", "[6, 7]", "--queue", world.queue, "--wait", "--timeout", "30"], backend: backend, extra: quorum)
                #expect(called.succeeded && called.lines.last == "42", "\(called)\n\(pythonWorker.tail())")
            }
        }
    }
}
