import CeleriacTesting
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Fault tests with real `celeriac-example` processes on a real, private `redis-server`: a worker killed
/// with acks_late, the server restarted, refused credentials, garbage on a queue. With CI=true a missing
/// `redis-server` fails them; elsewhere they are skipped. Serialized and bounded: each test stays under 30 s.
@Suite(.serialized, .timeLimit(.minutes(1)), .enabled(if: RedisWorld.enabled, "redis-server not installed (set CI=true to fail instead)"))
struct RedisFaultTests {
    /// With acks_late and a 2 s visibility timeout, worker A holds six 2 s tasks (running two at a time) longer
    /// than the timeout; B on the same queue runs none of them while A lives (A extends the leases). After
    /// `kill -9` of A, the leases run out, the broker restores them (restore interval min(10, max(0.5, 2/2)) = 1 s,
    /// CeleriacConnections.swift) and B runs exactly the unfinished ones.
    @Test func killedAcksLateWorkerOnRedisLosesNothing() async throws {
        try await RedisWorld.run { world in
            let settings = ["CELERY_TASK_ACKS_LATE": "true", "CELERY_BROKER_TRANSPORT_OPTIONS": #"{"visibility_timeout": 2}"#]
            let a = try await world.startWorker("a", concurrency: 2, environment: settings)
            var ids: [String] = []
            for _ in 0..<6 { ids.append(try await world.call("tasks.sleep", "[2]")) }
            let allReceived = await eventually(timeout: .seconds(5)) { a.log.taskIDs(WorkerEvent.received).count == 6 }
            try #require(allReceived, "A should reserve all six (prefetch 2 x 4)\n\(a.tail())")
            let b = try await world.startWorker("b", concurrency: 2, environment: settings)

            // A runs 2 + 2 and starts the last two, whose messages it has held since the start (> 2 s).
            let fourDone = await eventually(timeout: .seconds(12)) {
                let log = a.log
                return log.taskIDs(WorkerEvent.succeeded).count >= 4 && log.taskIDs(WorkerEvent.started).count == 6
            }
            try #require(fourDone, "A should finish four tasks and run the last two\n\(a.tail())")
            // A logs "Task succeeded" just before it acks (acks_late): give the fourth ack time to land, so the
            // kill falls in the middle of the last two 2 s tasks, not between a success and its ack.
            try await Task.sleep(for: .milliseconds(400))
            let startedByALive = a.log.counts(WorkerEvent.started)
            let finishedByA = Set(a.log.taskIDs(WorkerEvent.succeeded))
            a.killNow()
            let exit = await a.waitForExit(timeout: .seconds(5))
            #expect(exit == .signalled(SIGKILL), "A should die of SIGKILL, got \(exit.map { "\($0)" } ?? "nothing")")
            // What A finished before dying (a task may have finished between the check and the kill).
            let finishedByAAll = Set(a.log.taskIDs(WorkerEvent.succeeded))
            #expect(finishedByA.isSubset(of: finishedByAAll))

            let startedByBLive = b.log.counts(WorkerEvent.started)
            #expect(startedByBLive.isEmpty, "B must not run tasks A holds while A lives (lease extension): \(startedByBLive)\n\(b.tail())")
            #expect(startedByALive.count == 6 && startedByALive.values.allSatisfy { $0 == 1 }, "A should start each task once: \(startedByALive)")
            let heldByA = Set(ids).subtracting(finishedByAAll)

            // Lease expiry (2 s) + restore (every 1 s) + run (2 s).
            let statuses = try await world.waitForStatuses(ids, timeout: .seconds(15))
            #expect(ids.allSatisfy { statuses[$0] == "SUCCESS" }, "every task should end SUCCESS: \(statuses)\n\(b.tail())")
            let startedByB = b.log.counts(WorkerEvent.started)
            #expect(Set(startedByB.keys) == heldByA, "B should run exactly what A had not finished: B ran \(startedByB.keys.sorted()), A left \(heldByA.sorted())\n\(b.tail())")
            #expect(startedByB.values.allSatisfy { $0 == 1 }, "B should run each restored task once: \(startedByB)")
            #expect(finishedByAAll.isDisjoint(with: startedByB.keys), "tasks A finished must not run again")
            let succeeded = a.log.counts(WorkerEvent.succeeded).merging(b.log.counts(WorkerEvent.succeeded), uniquingKeysWith: +)
            #expect(Set(succeeded.keys) == Set(ids) && succeeded.values.allSatisfy { $0 == 1 }, "each task should succeed exactly once: \(succeeded)")
            // B stores the result, then acks: wait for the last ack.
            var queueLength = "", unacked = ""
            let drained = try await eventually(timeout: .seconds(5)) {
                queueLength = try world.redisCLI(["LLEN", world.queue]).trimmingCharacters(in: .whitespacesAndNewlines)
                unacked = try world.redisCLI(["HLEN", "unacked"]).trimmingCharacters(in: .whitespacesAndNewlines)
                return queueLength == "0" && unacked == "0"
            }
            #expect(drained, "queue and unacked should be empty: \(queueLength) ready, \(unacked) unacked")
            #expect(await b.waitForExit(timeout: .zero) == nil)
        }
    }

    /// The server is killed and restarted with AOF (`--appendfsync always`) on the same port and directory while
    /// a worker runs a task: the worker reconnects and carries on, the task in flight is stored, tasks published
    /// before and after all succeed, each once.
    @Test func workerAndWaitingClientSurviveRedisRestartWithAOF() async throws {
        try await RedisWorld.run(["--appendonly", "yes", "--appendfsync", "always"]) { world in
            let worker = try await world.startWorker("w", concurrency: 2)
            var before: [String] = []
            for index in 0..<3 { before.append(try await world.call("tasks.add", "[\(index), 10]")) }
            let beforeDone = try await world.waitForStatuses(before, timeout: .seconds(10))
            #expect(before.allSatisfy { beforeDone[$0] == "SUCCESS" }, "\(beforeDone)\n\(worker.tail())")

            // One task running across the restart, one waiting on the queue (published just before), and a client
            // blocked in `result --wait` on the running one.
            let running = try await world.call("tasks.sleep", "[3]")
            let started = await eventually(timeout: .seconds(5)) { worker.log.taskIDs(WorkerEvent.started).contains(running) }
            try #require(started, "\(worker.tail())")
            let queued = try await world.call("tasks.add", "[20, 22]")
            try await world.restartServer(downtime: .seconds(1))

            var after: [String] = []
            for index in 0..<3 { after.append(try await world.call("tasks.add", "[\(index), 100]")) }
            let all = before + [running, queued] + after
            let statuses = try await world.waitForStatuses(all, timeout: .seconds(15))
            #expect(all.allSatisfy { statuses[$0] == "SUCCESS" }, "every task should end SUCCESS: \(statuses)\n\(worker.tail(lines: 60))")
            #expect(worker.isRunning, "the worker should survive the restart\n\(worker.tail())")

            let succeeded = worker.log.counts(WorkerEvent.succeeded)
            #expect(Set(succeeded.keys) == Set(all) && succeeded.values.allSatisfy { $0 == 1 }, "each task once: \(succeeded)")
            let late = try await world.call("tasks.add", "[40, 2]")
            let lateDone = try await world.waitForStatuses([late], timeout: .seconds(10))
            #expect(lateDone[late] == "SUCCESS", "\(worker.tail())")
        }
    }

    /// A client blocked in `result --wait` while the server is killed and restarted (1 s down, AOF) should get
    /// the result once the worker stores it after the restart.
    @Test
    func waitingClientSurvivesRedisRestart() async throws {
        try await RedisWorld.run(["--appendonly", "yes", "--appendfsync", "always"]) { world in
            let worker = try await world.startWorker("w", concurrency: 1)
            let running = try await world.call("tasks.sleep", "[3]")
            let started = await eventually(timeout: .seconds(5)) { worker.log.taskIDs(WorkerEvent.started).contains(running) }
            try #require(started, "\(worker.tail())")
            let waiter = try world.start("result-wait", ["result", running, "--wait", "--timeout", "25"])
            try await Task.sleep(for: .milliseconds(500))
            try await world.restartServer(downtime: .seconds(1))
            let statuses = try await world.waitForStatuses([running], timeout: .seconds(10))
            #expect(statuses[running] == "SUCCESS", "\(worker.tail())")
            let waited = await waiter.waitForExit(timeout: .seconds(10))
            #expect(waited == .exited(0), "result --wait across the restart: \(waited.map { "\($0)" } ?? "still waiting")\n\(waiter.tail())")
            #expect(waiter.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "3", "result --wait output: \(waiter.standardOutput)")
        }
    }

    /// A wrong password fails the worker at once, naming broker_url and never echoing the password; a user whose
    /// ACL does not cover the queue's keys connects, and the worker logs NOPERM and retries with a delay.
    @Test func refusedCredentialsFailClearly() async throws {
        try await RedisWorld.run(["--requirepass", "secret"]) { world in
            func connections() throws -> Int {
                let stats = try world.redisCLI(["INFO", "stats"], password: "secret")
                let line = stats.split(whereSeparator: \.isNewline).first { $0.hasPrefix("total_connections_received:") }
                return line.flatMap { Int($0.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "") } ?? -1
            }
            let wrong = "redis://:wrong@127.0.0.1:\(world.server.port)/0"
            let before = try connections()
            let clock = ContinuousClock()
            let startedAt = clock.now
            let worker = try world.start("worker-wrongpass", ["worker", "-b", wrong, "--result-backend", wrong, "-Q", world.queue, "-l", "debug"])
            let exit = await worker.waitForExit(timeout: .seconds(10))
            let elapsed = clock.now - startedAt
            let made = try connections() - before - 1
            guard case .exited(let status)? = exit else {
                Issue.record("the worker should exit with a wrong password: \(exit.map { "\($0)" } ?? "still running after 10 s")\n\(worker.tail())")
                return
            }
            #expect(status != 0)
            #expect(elapsed < .seconds(5), "should fail quickly, took \(elapsed)")
            #expect(made >= 1 && made <= 5, "no retry storm: the worker made \(made) connections")
            let errors = worker.standardError + worker.standardOutput
            #expect(errors.contains("broker_url") && errors.contains("Redis refused the credentials"), "\(errors)")
            #expect(!errors.replacingOccurrences(of: "wrong user name or password", with: "").contains("wrong"), "the password must not be printed: \(errors)")
            #expect(!errors.contains("secret"))

            // An ACL user limited to other:* keys authenticates but may not touch the queue.
            let acl = try world.redisCLI(["ACL", "SETUSER", "limited", "on", ">pw", "~other:*", "+@all"], password: "secret")
            #expect(acl.contains("OK"), "\(acl)")
            let limited = "redis://limited:pw@127.0.0.1:\(world.server.port)/0"
            let limitedWorker = try world.start("worker-limited", ["worker", "-b", limited, "--result-backend", limited, "-Q", world.queue, "-l", "info"])
            let refused = await eventually(timeout: .seconds(10)) {
                limitedWorker.log.mentions("NOPERM") && limitedWorker.log.mentions("receiving from the broker failed; retrying")
            }
            #expect(refused, "the limited user's worker should log NOPERM and retry\n\(limitedWorker.tail())")
            #expect(limitedWorker.isRunning, "observed behaviour: the worker keeps running and retries (\(limitedWorker.exit.map { "\($0)" } ?? ""))")
            let retryLines = limitedWorker.log.lines.filter { $0.contains("receiving from the broker failed; retrying") }
            #expect(retryLines.allSatisfy { $0.contains("retry_in=") }, "retries should be delayed: \(retryLines)")
            #expect(!limitedWorker.standardError.contains(":pw@"), "the password must not be printed")
            let stopped = await limitedWorker.waitForExit(timeout: .zero)
            #expect(stopped == nil)
            limitedWorker.terminate()
            #expect(await limitedWorker.waitForExit(timeout: .seconds(10)) == .exited(0), "\(limitedWorker.tail())")
        }
    }

    /// A raw non-JSON message pushed with `redis-cli LPUSH` and a good envelope whose body is not JSON: both are
    /// logged with their queue and dead-lettered, and the worker runs a good task afterwards.
    @Test func garbageOnARedisQueueIsDeadLettered() async throws {
        try await RedisWorld.run { world in
            let worker = try await world.startWorker("w", concurrency: 1)
            let queue = world.queue
            _ = try world.redisCLI(["LPUSH", queue, "not json at all"])
            let badID = UUID().uuidString.lowercased()
            let envelope: [String: Any] = [
                "body": Data("not json{".utf8).base64EncodedString(),
                "content-encoding": "utf-8",
                "content-type": "application/json",
                "headers": ["lang": "py", "task": "tasks.add", "id": badID, "root_id": badID, "retries": 0, "argsrepr": "(1, 2)", "kwargsrepr": "{}"],
                "properties": [
                    "correlation_id": badID, "body_encoding": "base64", "delivery_tag": UUID().uuidString.lowercased(),
                    "delivery_mode": 2, "priority": 0, "delivery_info": ["exchange": "", "routing_key": queue],
                ],
            ]
            let envelopeData = try JSONSerialization.data(withJSONObject: envelope)
            _ = try world.redisCLI(["LPUSH", queue, String(decoding: envelopeData, as: UTF8.self)])

            let bothLogged = await eventually(timeout: .seconds(10)) {
                worker.log.lines.filter { $0.contains("dead letters") && $0.contains("celery.queue=\(queue)") }.count >= 2
            }
            #expect(bothLogged, "both bad messages should be logged with their queue\n\(worker.tail())")
            #expect(worker.log.lines.contains { $0.contains("not a JSON envelope") && $0.contains("celery.queue=\(queue)") }, "\(worker.tail())")

            let good = try await world.call("tasks.add", "[40, 2]")
            let statuses = try await world.waitForStatuses([good], timeout: .seconds(10))
            #expect(statuses[good] == "SUCCESS", "the worker should run on: \(statuses)\n\(worker.tail())")
            #expect(worker.isRunning)

            let list = try await world.command(["dead-letters", "list"])
            #expect(list.succeeded, "\(list)")
            #expect(list.lines.count == 2, "\(list)")
            #expect(list.lines.allSatisfy { $0.contains("  \(queue)  ") }, "\(list)")
            #expect(list.lines.contains { $0.contains(badID) }, "the body-not-JSON message keeps its task id: \(list)")
            #expect(list.lines.contains { $0.contains("not a JSON envelope") }, "\(list)")
            #expect(try await world.command(["dead-letters", "list"]).lines == list.lines)
        }
    }
}
