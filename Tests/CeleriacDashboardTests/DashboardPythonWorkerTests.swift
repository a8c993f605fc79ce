import Celeriac
import CeleriacDashboard
import CeleriacRedis
import CeleriacTesting
import Foundation
import ServiceLifecycle
import Testing

@Suite("Dashboard with Python workers only", .serialized, .enabled(if: Browser.isCI || (Browser.python != nil && RedisServerProcess.binary != nil), "python venv or redis-server missing (CI=true makes this a failure)"))
struct DashboardPythonWorkerTests {
    static let pythonDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("InteropTests/python").path

    @Test("a Celery 5.7 worker (-E) alone: the dashboard shows it and its tasks, and retries a failed task from its event")
    func pythonOnly() async throws {
        guard let python = Browser.python else {
            throw Browser.Missing(description: "CELERIAC_INTEROP_PYTHON is not set: `export CELERIAC_INTEROP_PYTHON=$(scripts/interop-env.sh)`")
        }
        try await withRedisServer { server in
            let url = "redis://127.0.0.1:\(server.port)/0"
            var environment = ProcessInfo.processInfo.environment
            environment["CELERY_BROKER_URL"] = url
            environment["CELERY_RESULT_BACKEND"] = url
            let node = "py@dashboard-test"
            let worker = Task {
                try await Subprocess.run(
                    python, ["-m", "celery", "-A", "interop_tasks", "worker", "-E", "-P", "solo", "-c", "1", "-n", node, "--without-mingle", "-l", "info"],
                    environment: environment, directory: Self.pythonDirectory, timeout: .seconds(150))
            }
            var configuration = CeleriacConfiguration()
            configuration.brokerURL = url
            configuration.resultBackend = url
            let client = try DashboardHarness.app(url: url, configuration: configuration)
            let dashboardApp = try DashboardHarness.app(url: url, configuration: configuration)
            var settings = DashboardConfiguration()
            settings.port = 0
            settings.inspectInterval = .seconds(1)
            settings.logger = .quiet
            let ports = AsyncStream<Int>.makeStream()
            let dashboard = Dashboard(app: dashboardApp, configuration: settings) { ports.continuation.yield($0) }
            let group = ServiceGroup(services: [dashboard], logger: .quiet)
            let running = Task { try await group.run() }
            var iterator = ports.stream.makeAsyncIterator()
            let port = try #require(await iterator.next())
            let http = HTTPProbe(port: port)
            var failure: (any Error)?
            do {
                try await Self.check(http: http, client: client, node: node, dashboard: dashboard)
            } catch {
                failure = error
            }
            // Celery's own shutdown command stops the Python worker.
            if let transport = client.broker as? any ControlTransport {
                try? await ControlClient(transport: transport).call("shutdown", destination: [node], reply: false)
            }
            let output = try? await worker.value
            await group.triggerGracefulShutdown()
            try? await running.value
            for app in [client, dashboardApp] {
                await app.broker.close()
                await app.backend?.close()
            }
            if let failure {
                Issue.record("python worker output:\n\(output.map { "\($0)" } ?? "?")")
                throw failure
            }
        }
    }

    static func check(http: HTTPProbe, client: CeleriacApp, node: String, dashboard: Dashboard) async throws {
        let alive = try await eventually(timeout: .seconds(60)) {
            let workers = try await http.get("/api/overview").json()?["workers"] as? [[String: Any]] ?? []
            return workers.contains { $0["hostname"] as? String == node && $0["alive"] as? Bool == true && $0["sw_ident"] as? String == "py-celery" }
        }
        let overview = "\(try await http.get("/api/overview"))"
        try #require(alive, "\(overview)")
        let add = try await client.send(name: "tasks.add", args: [2, 3])
        let fail = try await client.send(name: "tasks.fail", args: ["boom <b>"])
        #expect(try await add.get(timeout: .seconds(30)) == .int(5))
        let shown = try await eventually {
            let tasks = try await http.get("/api/tasks?worker=\(node)").json()?["tasks"] as? [[String: Any]] ?? []
            return tasks.contains { $0["id"] as? String == add.id && $0["state"] as? String == "SUCCESS" && $0["result"] as? String == "5" }
                && tasks.contains { $0["id"] as? String == fail.id && $0["state"] as? String == "FAILURE" && ($0["exception"] as? String)?.contains("boom <b>") == true }
        }
        let tasks = "\(try await http.get("/api/tasks"))"
        #expect(shown, "\(tasks)")
        // Python's task-received event carries repr strings; the retry reads them back.
        let retried = try await http.post("/api/tasks/\(fail.id)/retry", headers: ["X-CSRF-Token": dashboard.configuration.csrfToken])
        #expect(retried.status == 200 && retried.json()?["source"] as? String == "task-received event", "\(retried)")
        let newID = try #require(retried.json()?["id"] as? String)
        let meta = try await client.backend?.waitForReady(taskID: newID, timeout: .seconds(30))
        #expect(meta?.status == .failure && "\(meta?.result ?? .null)".contains("boom <b>"), "\(String(describing: meta))")
        let ranAgain = try await eventually {
            let detail = try await http.get("/api/tasks/\(newID)").json()
            return detail?["worker"] as? String == node && detail?["retry_of"] as? String == fail.id
        }
        #expect(ranAgain)
    }
}
