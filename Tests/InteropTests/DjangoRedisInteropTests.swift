import CeleriacTesting
import Foundation
import Testing

extension InteropTests {
    /// The seed scenario with Redis for results: the same Django project (CELERY_ settings in settings.py, Redis
    /// as broker), with `CELERY_RESULT_BACKEND` pointing at Redis, sends `delay()` calls that a Swift worker runs;
    /// Django reads the values through `AsyncResult.get()`.
    @Suite("Django with a Redis result backend")
    struct DjangoRedisBackend {
        @Test("a Django project's delay() runs on a Swift worker; AsyncResult.get() returns the value or raises")
        func djangoAsyncResultReadsSwiftResults() async throws {
            try await InteropSandbox.run { sandbox in
                let source = (Interop.pythonDirectory as NSString).appendingPathComponent("django_project")
                let project = (sandbox.directory as NSString).appendingPathComponent("django_project")
                try FileManager.default.copyItem(atPath: source, toPath: project)
                // settings.py reads its DATABASES entry from database.json; nothing here touches the database.
                try #"{"host": "127.0.0.1", "port": 1, "name": "unused"}"#.write(
                    toFile: (project as NSString).appendingPathComponent("database.json"), atomically: true, encoding: .utf8)

                let worker = try sandbox.start(
                    "swift-worker-django-redis", executable: try Interop.exampleBinary(),
                    ["worker", "-b", sandbox.redisURL, "--result-backend", sandbox.redisURL, "-Q", sandbox.queue, "-n", "swift@django",
                     "-c", "2", "-l", "debug"])
                let ready = await eventually(timeout: .seconds(30)) { SwiftWorkerLog(worker.standardError).contains("worker ready") || !worker.isRunning }
                #expect(ready && worker.isRunning, "the Swift worker did not start\n\(worker.tail())")

                let added = try Self.json(try await sandbox.run(
                    "django-redis-add", executable: sandbox.python, ["djclient_redis.py", "run", "add", "[2, 3]"], workingDirectory: project,
                    timeout: .seconds(120)))
                #expect(added["backend"] as? String == "RedisBackend", "\(added)")
                #expect(added["state"] as? String == "SUCCESS", "\(added)\n\(worker.tail())")
                #expect(added["value"] as? Int == 5, "\(added)")

                let failed = try Self.json(try await sandbox.run(
                    "django-redis-fail", executable: sandbox.python, ["djclient_redis.py", "run", "fail", #"["kaboom"]"#], workingDirectory: project,
                    timeout: .seconds(120)))
                #expect(failed["state"] as? String == "FAILURE", "\(failed)\n\(worker.tail())")
                let error = failed["error"] as? [String: Any]
                #expect(error?["type"] as? String == "ValueError", "\(failed)")
                #expect(error?["args"] as? [String] == ["kaboom"], "\(failed)")
                #expect((failed["traceback"] as? String)?.contains("ValueError") == true, "\(failed)")
                #expect(worker.isRunning, "\(worker.tail())")
            }
        }

        private static func json(_ output: CommandOutput) throws -> [String: Any] {
            guard output.succeeded, let line = output.lines.last,
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            else { throw InteropError("unexpected output:\n\(output)") }
            return object
        }
    }
}
