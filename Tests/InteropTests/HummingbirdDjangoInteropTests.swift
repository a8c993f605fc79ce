import CeleriacTesting
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension InteropTests {
    /// The reverse of the Django test: a Hummingbird app (`hummingbird-example`, no worker of its own) sends
    /// tasks over HTTP that the Django project's Python worker (`celery -A djproj worker`) runs, and its
    /// `GET /tasks/{id}` reads the results the Python worker stored in Redis.
    @Suite("Hummingbird app, Django worker")
    struct HummingbirdDjango {
        /// The Django project copied into the sandbox, without database.json: its database is then SQLite,
        /// and Celery's results go to the sandbox's Redis (CELERY_RESULT_BACKEND in the environment).
        private func djangoProject(_ sandbox: InteropSandbox) throws -> String {
            let source = (Interop.pythonDirectory as NSString).appendingPathComponent("django_project")
            let copy = (sandbox.directory as NSString).appendingPathComponent("django_project")
            if !FileManager.default.fileExists(atPath: copy) { try FileManager.default.copyItem(atPath: source, toPath: copy) }
            return copy
        }

        /// `hummingbird-example` next to `celeriac-example`.
        private func hummingbirdBinary() throws -> String {
            let path = ((try Interop.exampleBinary()) as NSString).deletingLastPathComponent + "/hummingbird-example"
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw InteropError("\(path) is missing: run `swift build --build-tests` before `swift test --skip-build`")
            }
            return path
        }

        /// Starts `celery -A djproj worker` in the project with `environment`, and waits for its "ready." line.
        private func startDjangoWorker(_ sandbox: InteropSandbox, project: String, environment: [String: String]) async throws -> ChildProcess {
            let worker = try ChildProcess(
                name: "django-worker", executable: sandbox.python,
                arguments: ["-m", "celery", "-A", "djproj", "worker", "-P", "solo", "-c", "1", "-Q", sandbox.queue, "--without-gossip", "--without-mingle",
                            "--without-heartbeat", "-l", "info", "-n", "django@interop"],
                environment: environment, directory: sandbox.directory, workingDirectory: project)
            let ready = await eventually(timeout: .seconds(60)) { worker.standardError.contains("django@interop ready.") || !worker.isRunning }
            guard ready, worker.isRunning else {
                await worker.stop()
                throw InteropError("the Django worker did not become ready\n\(worker.tail())")
            }
            return worker
        }

        /// Starts `hummingbird-example` (no worker) on a free port with `arguments`, sending to the sandbox's queue,
        /// and waits until `GET /health` answers.
        private func startApp(_ sandbox: InteropSandbox, _ arguments: [String] = []) async throws -> (ChildProcess, InteropHTTPClient) {
            let port = try RedisServerProcess.freePort()
            let app = try ChildProcess(
                name: "hummingbird-example", executable: try hummingbirdBinary(), arguments: ["--port", "\(port)", "-l", "debug"] + arguments,
                environment: sandbox.environment(["CELERY_TASK_DEFAULT_QUEUE": sandbox.queue]), directory: sandbox.directory)
            let client = InteropHTTPClient(port: port)
            let up = await eventually(timeout: .seconds(30)) { (try? await client.send("GET", "/health"))?.status == 200 || !app.isRunning }
            guard up, app.isRunning else {
                await app.stop()
                throw InteropError("hummingbird-example did not answer on port \(port)\n\(app.tail())")
            }
            return (app, client)
        }

        /// `GET /tasks/{id}` until the task is ready (at most `timeout`); the last answer.
        private func waitReady(_ client: InteropHTTPClient, _ id: String, timeout: Duration = .seconds(30)) async throws -> InteropHTTPClient.Reply {
            var state = try await client.send("GET", "/tasks/\(id)")
            _ = try await eventually(timeout: timeout, interval: .milliseconds(200)) {
                state = try await client.send("GET", "/tasks/\(id)")
                return (state.object?["ready"] as? Bool) == true
            }
            return state
        }

        @Test("POST /add on the Hummingbird app; the Django project's Python worker runs it; GET /tasks/{id} reads SUCCESS")
        func hummingbirdSendsDjangoRuns() async throws {
            try await InteropSandbox.run { sandbox in
                let project = try djangoProject(sandbox)
                // CELERY_RESULT_BACKEND in the environment (the sandbox's Redis) wins over settings.py's django-db.
                let pythonWorker = try await startDjangoWorker(sandbox, project: project, environment: sandbox.environment())
                // The app takes its broker and backend from CELERY_BROKER_URL / CELERY_RESULT_BACKEND too.
                let (app, client) = try await startApp(sandbox)
                do {
                    let added = try await client.send("POST", "/add", body: #"{"x": 2, "y": 3}"#)
                    #expect(added.status == 202, "\(added)\n\(app.tail())")
                    let id = try #require(added.object?["task_id"] as? String, "\(added)")
                    let state = try await waitReady(client, id)
                    #expect(state.object?["state"] as? String == "SUCCESS", "\(state)\n\(pythonWorker.tail())")
                    #expect(state.object?["result"] as? Int == 5, "\(state)")
                    // settings.py's CELERY_RESULT_EXTENDED: the Python worker stored who ran what, and the route shows it.
                    #expect(state.object?["name"] as? String == "tasks.add", "\(state)")
                    #expect(state.object?["worker"] as? String == "django@interop", "\(state)")
                    #expect(state.object?["queue"] as? String == sandbox.queue, "\(state)")
                    #expect(pythonWorker.standardError.contains("Task tasks.add[\(id)] succeeded"), "\(pythonWorker.tail())")

                    // A task by name through POST /tasks; the Python worker's ValueError comes back with its traceback.
                    let failing = try await client.send("POST", "/tasks", body: #"{"task": "tasks.fail", "args": ["kaboom"]}"#)
                    let failID = try #require(failing.object?["task_id"] as? String, "\(failing)")
                    let failed = try await client.send("GET", "/tasks/\(failID)?wait=30")
                    #expect(failed.object?["state"] as? String == "FAILURE", "\(failed)\n\(pythonWorker.tail())")
                    let error = failed.object?["error"] as? [String: Any]
                    #expect(error?["type"] as? String == "ValueError", "\(failed)")
                    #expect(error?["message"] as? String == "kaboom", "\(failed)")
                    #expect((failed.object?["traceback"] as? String)?.contains("ValueError: kaboom") == true, "\(failed)")

                    // SIGTERM: a graceful shutdown, exit status 0.
                    app.send(SIGTERM)
                    let exit = await app.waitForExit(timeout: .seconds(20))
                    #expect(exit == .exited(0), "\(app.tail())")
                    #expect(pythonWorker.isRunning, "\(pythonWorker.tail())")
                } catch {
                    await app.stop()
                    await pythonWorker.stop()
                    throw error
                }
                await app.stop()
                await pythonWorker.stop()
            }
        }

        @Test(
            "django-db: the Django worker stores the result in PostgreSQL; the app's GET /tasks/{id} and Django's ORM both read it",
            .enabled(if: PostgresServerProcess.shouldRun))
        func hummingbirdSendsDjangoStoresInPostgres() async throws {
            try await InteropSandbox.run { sandbox in
                try await withPostgresServer { server in
                    try await server.createDatabase("site")
                    let project = try djangoProject(sandbox)
                    let json = #"{"host": "127.0.0.1", "port": \#(server.port), "name": "site", "user": "postgres"}"#
                    try json.write(toFile: (project as NSString).appendingPathComponent("database.json"), atomically: true, encoding: .utf8)
                    let migrate = try await sandbox.run(
                        "django-migrate", executable: sandbox.python, ["manage.py", "migrate", "--noinput"], workingDirectory: project, timeout: .seconds(120))
                    #expect(migrate.succeeded, "manage.py migrate: \(migrate)")

                    // Without CELERY_RESULT_BACKEND in its environment the worker uses settings.py's django-db.
                    var environment = sandbox.environment()
                    environment["CELERY_RESULT_BACKEND"] = nil
                    let pythonWorker = try await startDjangoWorker(sandbox, project: project, environment: environment)
                    let (app, client) = try await startApp(
                        sandbox, ["--result-backend", "django-db+postgresql://postgres@127.0.0.1:\(server.port)/site"])
                    do {
                        let added = try await client.send("POST", "/add", body: #"{"x": 2, "y": 3}"#)
                        let id = try #require(added.object?["task_id"] as? String, "\(added)\n\(app.tail())")
                        let state = try await waitReady(client, id)
                        #expect(state.object?["state"] as? String == "SUCCESS", "\(state)\n\(pythonWorker.tail())\n\(app.tail())")
                        #expect(state.object?["result"] as? Int == 5, "\(state)")

                        let shown = try await sandbox.run(
                            "django-show", executable: sandbox.python, ["djclient.py", "show", id], workingDirectory: project, timeout: .seconds(90))
                        let row = shown.lines.last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                        #expect(row?["status"] as? String == "SUCCESS", "\(shown)")
                        #expect(row?["result"] as? String == "5", "\(shown)")
                        #expect(row?["task_name"] as? String == "tasks.add", "\(shown)")
                        #expect(row?["worker"] as? String == "django@interop", "\(shown)")
                        #expect(row?["celery_value"] as? Int == 5, "\(shown)")
                    } catch {
                        await app.stop()
                        await pythonWorker.stop()
                        throw error
                    }
                    await app.stop()
                    await pythonWorker.stop()
                }
            }
        }
    }
}

/// Requests to the Hummingbird app over real HTTP (URLSession).
private struct InteropHTTPClient {
    struct Reply: CustomStringConvertible {
        var status: Int
        var body: String
        var object: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] }
        var description: String { "HTTP \(status) \(body)" }
    }

    let base: String
    let session: URLSession

    init(port: Int) {
        base = "http://127.0.0.1:\(port)"
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60
        session = URLSession(configuration: configuration)
    }

    func send(_ method: String, _ path: String, body: String? = nil) async throws -> Reply {
        guard let url = URL(string: base + path) else { throw InteropError("bad URL \(base + path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await session.data(for: request)
        return Reply(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: String(decoding: data, as: UTF8.self))
    }
}
