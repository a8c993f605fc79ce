import Celeriac
import CeleriacDashboard
import CeleriacRedis
import CeleriacTesting
import Foundation
import ServiceLifecycle
import Testing

@Suite("Dashboard server", .serialized)
struct DashboardServerTests {
    @Test(
        "a real redis-server and Swift worker: the page, workers, queues, task list and detail, retry, purge, history",
        .enabled(if: RedisServerProcess.shouldRun, "redis-server not installed"))
    func endToEnd() async throws {
        try await DashboardHarness.run(resultExtended: true) { harness in
            let http = harness.http
            let add = try await harness.client.send(name: "tests.add", args: [2, 3])
            let flaky = try await harness.client.send(name: "tests.flaky", args: [7])
            #expect(try await add.get(timeout: .seconds(15)) == .int(5))
            await #expect(throws: (any Error).self) { try await flaky.get(timeout: .seconds(15)) }

            // The page: no inline script, the CSRF token in a meta tag, strict security headers.
            let page = try await http.get("/")
            #expect(page.status == 200 && page.body.contains("<title>Celeriac dashboard</title>"), "\(page)")
            #expect(page.body.contains(harness.dashboard.configuration.csrfToken))
            #expect(page.headers["content-security-policy"]?.contains("script-src 'self'") == true, "\(page.headers)")
            #expect(page.headers["x-content-type-options"] == "nosniff")
            let script = try await http.get("/app.js")
            #expect(script.status == 200 && script.headers["content-type"]?.hasPrefix("text/javascript") == true && script.body.contains("EventSource"))

            // Workers (heartbeats + stats) and queues (from the broker).
            let sawWorker = try await eventually {
                let overview = try await http.get("/api/overview").json()
                let workers = overview?["workers"] as? [[String: Any]] ?? []
                return workers.contains { $0["hostname"] as? String == DashboardHarness.workerName && $0["alive"] as? Bool == true && $0["concurrency"] as? Int == 2 }
            }
            let overviewText = "\(try await http.get("/api/overview"))"
            #expect(sawWorker, "\(overviewText)")
            let overview = try #require(try await http.get("/api/overview").json())
            #expect((overview["queues"] as? [[String: Any]])?.contains { $0["name"] as? String == "celery" } == true, "\(overview)")

            // The task list, from events: filters by state, name and worker.
            let listed = try await eventually {
                let failures = try await http.get("/api/tasks?state=FAILURE&name=flaky&worker=\(DashboardHarness.workerName)").json()
                return (failures?["tasks"] as? [[String: Any]])?.contains { $0["id"] as? String == flaky.id } == true
            }
            let tasksText = "\(try await http.get("/api/tasks"))"
            #expect(listed, "\(tasksText)")
            let successes = try #require(try await http.get("/api/tasks?state=SUCCESS").json()?["tasks"] as? [[String: Any]])
            #expect(successes.contains { $0["id"] as? String == add.id && $0["result"] as? String == "5" && $0["name"] as? String == "tests.add" })
            #expect(!successes.contains { $0["id"] as? String == flaky.id })

            // The detail: exception, traceback, timeline.
            let detail = try #require(try await http.get("/api/tasks/\(flaky.id)").json())
            #expect(detail["state"] as? String == "FAILURE" && (detail["exception"] as? String)?.contains("flaky: first run fails") == true, "\(detail)")
            #expect((detail["timeline"] as? [[String: Any]])?.map { $0["type"] as? String ?? "" }.contains("task-failed") == true, "\(detail)")
            #expect(try await http.get("/api/tasks/no-such-task").status == 404)

            // Actions need the CSRF token.
            #expect(try await http.post("/api/tasks/\(flaky.id)/retry").status == 403)
            #expect(try await http.post("/api/tasks/\(flaky.id)/retry", headers: ["X-CSRF-Token": "wrong"]).status == 403)
            let csrf = ["X-CSRF-Token": harness.dashboard.configuration.csrfToken]
            let retried = try await http.post("/api/tasks/\(flaky.id)/retry", headers: csrf)
            #expect(retried.status == 200, "\(retried)")
            let newID = try #require(retried.json()?["id"] as? String)
            #expect(retried.json()?["source"] as? String == "result_extended")
            #expect(try await harness.client.asyncResult(id: newID).get(timeout: .seconds(15)) == .string("ok on run 2 with 7"))
            #expect(harness.runs.count("tests.flaky") == 2)
            let ranAgain = try await eventually {
                try await http.get("/api/tasks/\(newID)").json()?["state"] as? String == "SUCCESS"
            }
            #expect(ranAgain)
            #expect(try await http.get("/api/tasks/\(flaky.id)").json()?["retried_as"] as? String == newID)

            // Purge a queue no worker consumes.
            var options = CallOptions()
            options.queue = "parked"
            for _ in 0..<3 { try await harness.client.send(name: "tests.add", args: [1, 1], options: options) }
            let parked = try await eventually {
                let queues = try await http.get("/api/overview").json()?["queues"] as? [[String: Any]] ?? []
                return queues.contains { $0["name"] as? String == "parked" && $0["ready"] as? Int == 3 }
            }
            let queuesText = "\(try await http.get("/api/overview"))"
            #expect(parked, "\(queuesText)")
            let purged = try await http.post("/api/queues/parked/purge", headers: csrf)
            #expect(purged.status == 200 && purged.json()?["purged"] as? Int == 3, "\(purged)")

            // Revoke: a task sent with a countdown is revoked before it runs.
            var later = CallOptions()
            later.countdown = 3
            let delayed = try await harness.client.send(name: "tests.add", args: [4, 4], options: later)
            let revoked = try await http.post("/api/tasks/\(delayed.id)/revoke", headers: csrf)
            #expect(revoked.status == 200, "\(revoked)")
            let meta = try await harness.client.backend?.waitForReady(taskID: delayed.id, timeout: .seconds(10))
            #expect(meta?.status == .revoked, "\(String(describing: meta))")

            // History: the backend lists the results, newest first, so a restarted dashboard shows them.
            let backend = try #require(harness.client.backend as? RedisResultBackend)
            let history = try await backend.recentResults(limit: 100)
            #expect(Set(history.map(\.taskID)).isSuperset(of: [add.id, flaky.id, newID]), "\(history.map(\.taskID))")
            #expect(history.map(\.dateDone) == history.sorted(by: ResultMeta.newestFirst).map(\.dateDone))
            let fresh = ClusterState()
            for meta in history { fresh.merge(meta) }
            #expect(fresh.task(add.id)?.name == "tests.add" && fresh.task(add.id)?.state == "SUCCESS" && fresh.task(flaky.id)?.state == "FAILURE")
        }
    }

    @Test("authentication: a token (header or login cookie) and basic auth; an open non-loopback bind is refused")
    func authentication() async throws {
        try await Self.withDashboard(.token("s3cret-token-123")) { http in
            #expect(try await http.get("/").status == 401)
            #expect(try await http.get("/api/overview").status == 401)
            #expect(try await http.get("/", headers: ["Authorization": "Bearer s3cret-token-123"]).status == 200)
            let login = try await http.get("/?token=s3cret-token-123")
            #expect(login.status == 303 && login.headers["location"] == "/", "\(login)")
            let cookie = try #require(login.headers["set-cookie"])
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
            let value = String(cookie.split(separator: ";")[0])
            #expect(try await http.get("/api/overview", headers: ["Cookie": value]).status == 200)
            #expect(try await http.get("/?token=wrong").status == 401)
            // Authenticated but without the CSRF token: refused.
            #expect(try await http.post("/api/queues/celery/purge", headers: ["Cookie": value]).status == 403)
        }
        try await Self.withDashboard(.basic(user: "admin", password: "pw")) { http in
            let denied = try await http.get("/")
            #expect(denied.status == 401 && denied.headers["www-authenticate"]?.hasPrefix("Basic") == true, "\(denied)")
            let auth = "Basic " + Data("admin:pw".utf8).base64EncodedString()
            #expect(try await http.get("/", headers: ["Authorization": auth]).status == 200)
            #expect(try await http.get("/", headers: ["Authorization": "Basic " + Data("admin:no".utf8).base64EncodedString()]).status == 401)
        }
        var open = DashboardConfiguration()
        open.host = "0.0.0.0"
        open.port = 0
        open.logger = .quiet
        let dashboard = Dashboard(app: CeleriacApp(broker: InMemoryBroker(), backend: nil, logger: .quiet), configuration: open)
        await #expect(throws: CeleriacError.self) { try await dashboard.run() }
    }

    static func withDashboard(_ authentication: DashboardAuthentication, _ body: (HTTPProbe) async throws -> Void) async throws {
        var settings = DashboardConfiguration()
        settings.port = 0
        settings.authentication = authentication
        settings.logger = .quiet
        let ports = AsyncStream<Int>.makeStream()
        let app = CeleriacApp(broker: InMemoryBroker(), backend: InMemoryResultBackend(), logger: .quiet)
        let dashboard = Dashboard(app: app, configuration: settings) { ports.continuation.yield($0) }
        let group = ServiceGroup(services: [dashboard], logger: .quiet)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.stream.makeAsyncIterator()
            let port = try #require(await iterator.next())
            do {
                try await body(HTTPProbe(port: port))
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
