import Celeriac
import CeleriacSQLite
import CeleriacTesting
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `hummingbird-example` executable, run as docs/hummingbird.md says: `--with-worker` on an SQLite file,
/// `POST /add`, `GET /tasks/{id}`, `POST /tasks`, and SIGTERM for a graceful shutdown that finishes a running task.
@Suite("hummingbird-example", .timeLimit(.minutes(3)))
struct HummingbirdExampleTests {
    /// `$HUMMINGBIRD_EXAMPLE_BIN`, else `.build/debug/hummingbird-example` (built by `swift build --build-tests`).
    static func binary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["HUMMINGBIRD_EXAMPLE_BIN"], !path.isEmpty { return path }
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                let path = directory.appendingPathComponent(".build/debug/hummingbird-example").path
                guard FileManager.default.isExecutableFile(atPath: path) else {
                    throw CeleriacError(.invalidConfiguration, "\(path) is missing: run `swift build --build-tests` first, or set HUMMINGBIRD_EXAMPLE_BIN")
                }
                return path
            }
            directory = directory.deletingLastPathComponent()
        }
        throw CeleriacError(.invalidConfiguration, "no Package.swift above \(#filePath): set HUMMINGBIRD_EXAMPLE_BIN")
    }

    @Test("the walkthrough: --with-worker, POST /add, GET /tasks/{id}, POST /tasks, SIGTERM finishes the running task")
    func walkthrough() async throws {
        let binary = try Self.binary()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("celeriac-hbx-\(UUID().uuidString.prefix(8).lowercased())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = try RedisServerProcess.freePort()
        let pidFile = (directory as NSString).appendingPathComponent("app.pid")
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("CELERY_") && !$0.key.hasPrefix("CELERIAC_") }
        // The walkthrough's defaults: the broker and backend are ./celeriac.sqlite.
        // `sh` starts the app in the background so that the test knows its pid for SIGTERM.
        let script = #""$0" "$@" & echo $! > "$PIDFILE"; wait $!"#
        environment["PIDFILE"] = pidFile
        // STARTED is stored, so the test knows when the task it interrupts runs.
        environment["CELERY_TASK_TRACK_STARTED"] = "true"

        let childEnvironment = environment
        try await withThrowingTaskGroup(of: Subprocess.Result?.self) { tasks in
            tasks.addTask {
                try await Subprocess.run(
                    "/bin/sh", ["-c", script, binary, "--with-worker", "--port", "\(port)", "--grace", "20"], environment: childEnvironment,
                    directory: directory, timeout: .seconds(150))
            }
            let client = HTTPTestClient(port: port)
            let up = await eventually(timeout: .seconds(60)) { (try? await client.get("/health"))?.status == 200 }
            guard up else {
                tasks.cancelAll()
                Issue.record("hummingbird-example did not answer on port \(port): \(String(describing: try await tasks.next()))")
                return
            }

            // POST /add: 202 and the task id; GET /tasks/{id} until SUCCESS.
            let added = try await client.post("/add", #"{"x": 2, "y": 3}"#)
            #expect(added.status == 202, "\(added)")
            let id = try #require(added["task_id"]?.stringValue, "\(added)")
            #expect(added.headers["location"] == "/tasks/\(id)")
            let done = try await client.poll("/tasks/\(id)") { $0["state"] == "SUCCESS" }
            #expect(done["result"] == 5, "\(done)")

            // ?wait: the handler waits for the result.
            let waited = try await client.post("/add?wait=20", #"{"x": 20, "y": 22}"#)
            #expect(waited.status == 200, "\(waited)")
            #expect(waited["result"] == 42, "\(waited)")

            let bad = try await client.post("/add", #"{"x": "two"}"#)
            #expect(bad.status == 400, "\(bad)")

            // Any of the app's tasks by name, then SIGTERM while it runs.
            let sleeping = try await client.post("/tasks", #"{"task": "tasks.sleep", "args": [2]}"#)
            let sleepID = try #require(sleeping["task_id"]?.stringValue, "\(sleeping)")
            let started = try await client.poll("/tasks/\(sleepID)") { $0["state"] == "STARTED" }
            #expect(started["state"] == "STARTED", "\(started)")
            let pidText = try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let pid = try #require(pid_t(pidText))
            let signalled = ContinuousClock.now
            kill(pid, SIGTERM)
            let result = try await tasks.next() ?? nil
            #expect(ContinuousClock.now - signalled < .seconds(15), "the graceful shutdown took too long")
            #expect(result?.status == 0, "\(String(describing: result))")

            let backend = try await SQLiteResultBackend(path: (directory as NSString).appendingPathComponent("celeriac.sqlite"))
            let meta = try await backend.meta(for: sleepID)
            await backend.close()
            #expect(meta?.status == .success, "the running task finished before the app exited: \(String(describing: meta))\n\(String(describing: result))")
            #expect(meta?.result == 2)
        }
    }
}
