import CeleriacTesting
import Foundation
import Testing

extension InteropTests {
    /// PostgreSQL result backends shared with Python: a Django project (CELERY_ settings in settings.py,
    /// django_celery_results installed, Redis as broker, `django-db` results) whose `delay()` calls a Swift
    /// worker runs, read back through Django's ORM; and Celery's own `db+postgresql` backend reading a Swift
    /// worker's results.
    @Suite("PostgreSQL result backends", .enabled(if: PostgresServerProcess.shouldRun))
    struct PostgresBackends {
        /// The Django project copied into the sandbox, with `database.json` naming `database` on `server`.
        private func djangoProject(_ sandbox: InteropSandbox, server: PostgresServerProcess, database: String) throws -> String {
            let source = (Interop.pythonDirectory as NSString).appendingPathComponent("django_project")
            let copy = (sandbox.directory as NSString).appendingPathComponent("django_project")
            if !FileManager.default.fileExists(atPath: copy) { try FileManager.default.copyItem(atPath: source, toPath: copy) }
            let json = #"{"host": "127.0.0.1", "port": \#(server.port), "name": "\#(database)", "user": "postgres"}"#
            try json.write(toFile: (copy as NSString).appendingPathComponent("database.json"), atomically: true, encoding: .utf8)
            return copy
        }

        /// Starts `celeriac-example worker` with `backend` and `result_extended`/`task_track_started` on, and
        /// waits for its "worker ready" line.
        private func startSwiftWorker(_ sandbox: InteropSandbox, backend: String) async throws -> ChildProcess {
            let config = (sandbox.directory as NSString).appendingPathComponent("swift-worker.json")
            try #"{"result_extended": true, "task_track_started": true}"#.write(toFile: config, atomically: true, encoding: .utf8)
            let example = try Interop.exampleBinary()
            let worker = try sandbox.start(
                "swift-worker-pg", executable: example,
                ["worker", "-b", sandbox.redisURL, "--result-backend", backend, "--config", config, "-Q", sandbox.queue, "-n", "swift@interop",
                 "-c", "2", "-l", "debug"])
            let ready = await eventually(timeout: .seconds(30)) { SwiftWorkerLog(worker.standardError).contains("worker ready") || !worker.isRunning }
            guard ready, worker.isRunning else {
                throw InteropError("the Swift worker did not become ready (\(worker.exit.map { "\($0)" } ?? "still starting"))\n\(worker.tail())")
            }
            return worker
        }

        private func json(_ output: CommandOutput) throws -> [String: Any] {
            guard output.succeeded, let line = output.lines.last,
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            else { throw InteropError("unexpected output:\n\(output)") }
            return object
        }

        @Test("a Django project's delay() runs on a Swift worker; TaskResult.objects shows the results")
        func djangoORMReadsSwiftResults() async throws {
            try await InteropSandbox.run { sandbox in
                try await withPostgresServer { server in
                    try await server.createDatabase("site")
                    let project = try djangoProject(sandbox, server: server, database: "site")
                    let migrate = try await sandbox.run(
                        "django-migrate", executable: sandbox.python, ["manage.py", "migrate", "--noinput"], workingDirectory: project, timeout: .seconds(120))
                    #expect(migrate.succeeded, "manage.py migrate: \(migrate)")
                    let schemaBefore = try await server.dump(database: "site", ["--schema-only", "-t", "django_celery_results_*"])

                    let worker = try await startSwiftWorker(sandbox, backend: "django-db+postgresql://postgres@127.0.0.1:\(server.port)/site")
                    let added = try json(try await sandbox.run(
                        "django-add", executable: sandbox.python, ["djclient.py", "run", "add", "[2, 3]"], workingDirectory: project, timeout: .seconds(120)))
                    #expect(added["status"] as? String == "SUCCESS", "\(added)\n\(worker.tail())")
                    #expect(added["result"] as? String == "5")
                    #expect(added["content_type"] as? String == "application/json")
                    #expect(added["content_encoding"] as? String == "utf-8")
                    #expect(added["meta"] as? String == #"{"children": []}"#)
                    #expect(added["task_name"] as? String == "tasks.add")
                    #expect(added["task_args"] as? String == #""(2, 3)""#)
                    #expect(added["task_kwargs"] as? String == #""{}""#)
                    #expect(added["worker"] as? String == "swift@interop")
                    #expect(added["date_started"] is String, "STARTED was stored with task_track_started")
                    #expect(added["utc"] as? Bool == true)
                    #expect(added["celery_state"] as? String == "SUCCESS")
                    #expect(added["celery_value"] as? Int == 5)

                    let failed = try json(try await sandbox.run(
                        "django-fail", executable: sandbox.python, ["djclient.py", "run", "fail", #"["kaboom"]"#], workingDirectory: project,
                        timeout: .seconds(120)))
                    #expect(failed["status"] as? String == "FAILURE", "\(failed)\n\(worker.tail())")
                    let error = (failed["result"] as? String).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                    #expect(error?["exc_type"] as? String == "ValueError", "\(failed)")
                    #expect(error?["exc_message"] as? [String] == ["kaboom"], "\(failed)")
                    #expect((failed["traceback"] as? String)?.contains("ValueError") == true, "\(failed)")
                    #expect(failed["task_args"] as? String == #""('kaboom',)""#)
                    #expect(failed["celery_state"] as? String == "FAILURE")
                    #expect((failed["celery_value"] as? String)?.contains("kaboom") == true, "\(failed)")

                    // The Swift worker found Django's tables and left them as they were.
                    let schemaAfter = try await server.dump(database: "site", ["--schema-only", "-t", "django_celery_results_*"])
                    #expect(PostgresInteropSupport.withoutRestrict(schemaAfter) == PostgresInteropSupport.withoutRestrict(schemaBefore))
                    #expect(worker.isRunning, "\(worker.tail())")
                }
            }
        }

        @Test("tables the Swift side created first satisfy manage.py migrate")
        func swiftCreatesDjangoTablesFirst() async throws {
            try await InteropSandbox.run { sandbox in
                try await withPostgresServer { server in
                    try await server.createDatabase("fresh")
                    let project = try djangoProject(sandbox, server: server, database: "fresh")
                    // `celeriac-example result` opens the backend, which creates the missing tables.
                    let example = try Interop.exampleBinary()
                    let probe = try await sandbox.run(
                        "swift-result", executable: example,
                        ["result", "no-such-task", "-b", sandbox.redisURL, "--result-backend", "django-db+postgresql://postgres@127.0.0.1:\(server.port)/fresh"],
                        timeout: .seconds(60))
                    #expect(probe.stdout.contains("PENDING") || probe.succeeded, "\(probe)")
                    let migrate = try await sandbox.run(
                        "django-migrate", executable: sandbox.python, ["manage.py", "migrate", "--noinput"], workingDirectory: project, timeout: .seconds(120))
                    #expect(migrate.succeeded, "manage.py migrate after Celeriac created the tables: \(migrate)")
                    #expect(migrate.stdout.contains("No migrations to apply"), "\(migrate)")
                }
            }
        }

        @Test("Celery's db+postgresql backend: AsyncResult.get() reads a Swift worker's results")
        func celeryDatabaseBackendReadsSwiftResults() async throws {
            try await InteropSandbox.run { sandbox in
                try await withPostgresServer { server in
                    try await server.createDatabase("celery_results")
                    let worker = try await startSwiftWorker(sandbox, backend: "db+postgresql://postgres@127.0.0.1:\(server.port)/celery_results")
                    let script = (Interop.pythonDirectory as NSString).appendingPathComponent("django_project/celery_db_client.py")
                    let backend = "db+postgresql+psycopg2://postgres@127.0.0.1:\(server.port)/celery_results"
                    let added = try json(try await sandbox.run(
                        "celery-db-add", executable: sandbox.python, [script, sandbox.redisURL, backend, sandbox.queue, "tasks.add", "[2, 3]"],
                        timeout: .seconds(90)))
                    #expect(added["state"] as? String == "SUCCESS", "\(added)\n\(worker.tail())")
                    #expect(added["result"] as? Int == 5)
                    #expect(added["name"] as? String == "tasks.add")
                    #expect(added["args"] as? [Int] == [2, 3])
                    #expect(added["worker"] as? String == "swift@interop")
                    #expect(added["queue"] as? String == sandbox.queue)
                    #expect(added["date_done"] is String)

                    let failed = try json(try await sandbox.run(
                        "celery-db-fail", executable: sandbox.python, [script, sandbox.redisURL, backend, sandbox.queue, "tasks.fail", #"["kaboom"]"#],
                        timeout: .seconds(90)))
                    #expect(failed["state"] as? String == "FAILURE", "\(failed)\n\(worker.tail())")
                    #expect(failed["result"] as? String == "ValueError('kaboom')", "\(failed)")
                    #expect((failed["traceback"] as? String)?.contains("ValueError") == true, "\(failed)")
                    #expect(worker.isRunning, "\(worker.tail())")
                }
            }
        }
    }
}

enum PostgresInteropSupport {
    /// A `pg_dump` without its random `\restrict` lines.
    static func withoutRestrict(_ dump: String) -> String {
        dump.split(separator: "\n").filter { !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }.joined(separator: "\n")
    }
}
