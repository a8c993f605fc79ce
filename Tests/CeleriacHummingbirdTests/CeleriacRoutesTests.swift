import Celeriac
import CeleriacHummingbird
import CeleriacSQLite
import Foundation
import Testing

/// The ready-made routes and the services, over real HTTP against a running Hummingbird application with an
/// SQLite broker and an in-process worker.
@Suite("Celeriac in Hummingbird", .timeLimit(.minutes(2)))
struct CeleriacRoutesTests {
    @Test("POST /tasks sends a task; GET /tasks/{id} goes from PENDING to SUCCESS with the value")
    func enqueueAndPoll() async throws {
        try await TestServer.run { server in
            let sent = try await server.client.post("/tasks", #"{"task": "tasks.add", "args": [2, 3]}"#)
            #expect(sent.status == 202, "\(sent)")
            let id = try #require(sent["task_id"]?.stringValue, "\(sent)")
            #expect(sent["state"] == "PENDING")
            #expect(sent["status_url"]?.stringValue == "/tasks/\(id)")
            #expect(sent.headers["location"] == "/tasks/\(id)")
            #expect(sent.headers["content-type"]?.hasPrefix("application/json") == true)

            let done = try await server.client.poll("/tasks/\(id)") { $0["state"] == "SUCCESS" }
            #expect(done.status == 200, "\(done)")
            #expect(done["state"] == "SUCCESS", "\(done)")
            #expect(done["result"] == 5, "\(done)")
            #expect(done["task_id"]?.stringValue == id)
            #expect(done["ready"] == true)
            #expect(done["successful"] == true)
            #expect(done["traceback"] == .null)
            #expect(done["date_done"]?.stringValue != nil, "\(done)")
        }
    }

    @Test("kwargs and ?wait: one GET waits for the result")
    func kwargsAndWait() async throws {
        try await TestServer.run { server in
            let sent = try await server.client.post("/tasks", #"{"task": "tasks.add", "kwargs": {"x": 40, "y": 2}}"#)
            let id = try #require(sent["task_id"]?.stringValue, "\(sent)")
            let done = try await server.client.get("/tasks/\(id)?wait=20")
            #expect(done["state"] == "SUCCESS", "\(done)")
            #expect(done["result"] == 42, "\(done)")
        }
    }

    @Test("a handler sends through the app in its request context and awaits the typed result")
    func handlerAwaitsThroughContext() async throws {
        try await TestServer.run { server in
            let reply = try await server.client.post("/sum", #"{"x": 2, "y": 5}"#)
            #expect(reply.status == 200, "\(reply)")
            #expect(reply["sum"] == 7, "\(reply)")
            #expect(reply["task_id"]?.stringValue?.isEmpty == false)
        }
    }

    @Test("a failed task's state has Celery's exception, a readable error and the traceback")
    func failureState() async throws {
        try await TestServer.run { server in
            let sent = try await server.client.post("/tasks", #"{"task": "tasks.fail", "args": ["kaboom"]}"#)
            let id = try #require(sent["task_id"]?.stringValue, "\(sent)")
            let done = try await server.client.get("/tasks/\(id)?wait=20")
            #expect(done["state"] == "FAILURE", "\(done)")
            #expect(done["ready"] == true)
            #expect(done["successful"] == false)
            #expect(done["result"]?.objectValue?["exc_type"] == "ValueError", "\(done)")
            #expect(done["result"]?.objectValue?["exc_message"] == ["kaboom"], "\(done)")
            let error = try #require(done["error"]?.objectValue, "\(done)")
            #expect(error["type"] == "ValueError")
            #expect(error["message"] == "kaboom")
            #expect(error["repr"] == "ValueError('kaboom')")
            #expect(done["traceback"]?.stringValue?.contains("ValueError") == true, "\(done)")
        }
    }

    @Test("an unknown task id is PENDING, as in Celery")
    func unknownIsPending() async throws {
        try await TestServer.run { server in
            let reply = try await server.client.get("/tasks/\(UUID().uuidString.lowercased())")
            #expect(reply.status == 200)
            #expect(reply["state"] == "PENDING", "\(reply)")
            #expect(reply["ready"] == false)
            #expect(reply["result"] == .null)
        }
    }

    @Test("POST /tasks/{id}/revoke revokes a task waiting for its countdown")
    func revoke() async throws {
        try await TestServer.run { server in
            let sent = try await server.client.post("/tasks", #"{"task": "tasks.add", "args": [1, 1], "options": {"countdown": 4}}"#)
            let id = try #require(sent["task_id"]?.stringValue, "\(sent)")
            let revoked = try await server.client.post("/tasks/\(id)/revoke")
            #expect(revoked.status == 200, "\(revoked)")
            // As in Celery, revoke itself stores nothing: the worker discards the task when its ETA comes.
            #expect(revoked["state"] == "PENDING", "\(revoked)")
            let done = try await server.client.get("/tasks/\(id)?wait=20")
            #expect(done["state"] == "REVOKED", "\(done)")
            #expect(done["error"]?.objectValue?["type"] == "TaskRevokedError", "\(done)")
        }
    }

    @Test(
        "bad input is a 4xx with a message saying what to fix; nothing is sent and the worker keeps running",
        arguments: [
            ("not json", 400, "not valid JSON"),
            ("", 400, "body is empty"),
            ("[1, 2]", 400, "must be a JSON object"),
            (#"{"args": [1, 2]}"#, 400, "'task' is missing"),
            (#"{"task": 7}"#, 400, "'task' must be a string"),
            (#"{"task": ""}"#, 400, "task name is empty"),
            (#"{"task": "tasks add"}"#, 400, "spaces or control characters"),
            (#"{"task": "tasks.add", "args": {"x": 1}}"#, 400, "'args' must be an array"),
            (#"{"task": "tasks.add", "kwargs": [1]}"#, 400, "'kwargs' must be an object"),
            (#"{"task": "tasks.add", "kwarg": {}}"#, 400, "unknown field 'kwarg'"),
            (#"{"task": "tasks.add", "options": {"priority": 12}}"#, 400, "'priority' must be an integer from 0 to 9"),
            (#"{"task": "tasks.add", "options": {"countdown": -1}}"#, 400, "'countdown' must be a number"),
            (#"{"task": "tasks.add", "options": {"eta": "tomorrow"}}"#, 400, "'eta' must be an ISO 8601 time"),
            (#"{"task": "tasks.add", "options": {"retries": 3}}"#, 400, "unknown option 'retries'"),
            (#"{"task": "tasks.nope"}"#, 403, "may not be sent here"),
            (#"{"task": "celery.ping"}"#, 403, "may not be sent here"),
        ])
    func badInput(body: String, status: Int, message: String) async throws {
        try await TestServer.run { server in
            let reply = try await server.client.post("/tasks", body)
            #expect(reply.status == status, "\(reply)")
            #expect(reply.errorMessage?.contains(message) == true, "\(reply)")
            // Nothing went to the broker, and the worker still runs tasks.
            #expect(server.worker.counts.processed == 0)
            let good = try await server.client.post("/tasks", #"{"task": "tasks.add", "args": [1, 2]}"#)
            let id = try #require(good["task_id"]?.stringValue, "\(good)")
            let done = try await server.client.get("/tasks/\(id)?wait=20")
            #expect(done["result"] == 3, "\(done)")
            #expect(server.worker.counts.processed == 1)
        }
    }

    @Test("a bad ?wait and an oversized body are refused")
    func badQueryAndOversizedBody() async throws {
        try await TestServer.run { server in
            let wait = try await server.client.get("/tasks/some-id?wait=soon")
            #expect(wait.status == 400, "\(wait)")
            #expect(wait.errorMessage?.contains("'wait' must be a number") == true, "\(wait)")
            let huge = #"{"task": "tasks.add", "args": [""# + String(repeating: "x", count: 1_100_000) + #""]}"#
            let large = try await server.client.post("/tasks", huge)
            #expect(large.status == 413, "HTTP \(large.status)")
        }
    }

    @Test("graceful shutdown lets the worker finish a running task, stores its result, and stops the server")
    func gracefulShutdownFinishesRunningTask() async throws {
        try await TestServer.run { server in
            let sent = try await server.client.post("/tasks", #"{"task": "tasks.sleep", "args": [1.5]}"#)
            let id = try #require(sent["task_id"]?.stringValue, "\(sent)")
            let started = await eventually(timeout: .seconds(20)) { server.worker.counts.active == 1 }
            #expect(started, "the worker did not start the task")
            try await server.shutdown()
            #expect(server.worker.counts.succeeded == 1, "\(server.worker.counts)")
            // The server is gone...
            await #expect(throws: (any Error).self) { _ = try await server.client.get("/tasks/\(id)") }
            // ...and the task's result was stored before the connections closed.
            let backend = try await SQLiteResultBackend(path: server.databasePath)
            let meta = try await backend.meta(for: id)
            await backend.close()
            #expect(meta?.status == .success, "\(String(describing: meta))")
            #expect(meta?.result == 1.5)
        }
    }
}

/// Beat as a service of the Hummingbird application, next to the worker.
@Suite("Beat in Hummingbird", .timeLimit(.minutes(2)))
struct BeatInHummingbirdTests {
    @Test("beat sends on schedule inside the app; the worker runs the tasks; shutdown releases the lease")
    func beatRunsInsideTheApplication() async throws {
        let entry = ScheduleEntry(name: "add-often", task: "tasks.add", args: [20, 22], schedule: try IntervalSchedule(seconds: 0.3))
        try await TestServer.run(beatEntries: [entry]) { server in
            let beat = try #require(server.beat)
            let ran = await eventually(timeout: .seconds(20)) { server.worker.counts.succeeded >= 2 }
            #expect(ran, "beat's tasks ran: \(server.worker.counts)")
            #expect(await beat.isHolder)
            try await server.shutdown()
            #expect(await beat.isHolder == false, "the lease was released at shutdown")
        }
    }
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(timeout: Duration, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: .milliseconds(50))
    }
}
