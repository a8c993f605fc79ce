import Celeriac
import CeleriacVapor
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Python Celery 5.7 and the Vapor example share one Redis: a task a Python client sends runs on
/// `App celeriac worker` and its result is read by Python and by `GET /tasks/:id`; a task `POST /add` sends is
/// read by Python's `AsyncResult`. Needs redis-server and the interop venv (`scripts/interop-env.sh`, which
/// `scripts/test.sh` runs first); with `CI=true` a missing one fails the test.
@Suite("Vapor example: Python Celery 5.7 and App celeriac worker on one Redis")
struct PythonInteropTests {
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    /// The venv's python: `$CELERIAC_INTEROP_PYTHON`, else (outside CI) the root package's `.build/interop-venv`.
    static func python() -> String? {
        if let given = ProcessInfo.processInfo.environment["CELERIAC_INTEROP_PYTHON"], !given.isEmpty { return given }
        // Not standardized: that resolves the venv's python symlink, and Python then misses the venv.
        let root = DocumentationTests.packageDirectory.deletingLastPathComponent().deletingLastPathComponent()
        let local = root.appendingPathComponent(".build/interop-venv/bin/python").path
        return !isCI && FileManager.default.isExecutableFile(atPath: local) ? local : nil
    }

    static func redisServer() -> String? {
        ["/usr/bin/redis-server", "/usr/local/bin/redis-server", "/opt/homebrew/bin/redis-server"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static let client = """
        import sys
        from celery import Celery
        from celery.result import AsyncResult
        url = sys.argv[2]
        app = Celery("vapor_interop", broker=url, backend=url)
        if sys.argv[1] == "send":
            result = app.send_task("tasks.add", args=(2, 3))
            print("id=" + result.id, flush=True)
            print("result=" + repr(result.get(timeout=90)), flush=True)
        else:
            print("result=" + repr(AsyncResult(sys.argv[3], app=app).get(timeout=90)), flush=True)
        """

    @Test("a Python client's task runs on App celeriac worker; Python reads a task POST /add sent")
    func pythonAndVaporShareRedis() async throws {
        guard let python = Self.python(), let redisServer = Self.redisServer() else {
            let missing = "needs redis-server and CELERIAC_INTEROP_PYTHON (export CELERIAC_INTEROP_PYTHON=$(scripts/interop-env.sh))"
            if Self.isCI { Issue.record(Comment(rawValue: missing)) } else { print("skipped: \(missing)") }
            return
        }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let port = try freePort()
        let redis = try AppProcess(
            executable: redisServer, arguments: ["--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            directory: directory.path)
        defer {
            redis.send(SIGTERM)
            redis.killIfRunning()
        }
        try await redis.waitForLog("Ready to accept connections", timeout: .seconds(30))
        let url = "redis://127.0.0.1:\(port)/0"

        let worker = try AppProcess(arguments: ["celeriac", "worker", "-b", url, "--result-backend", url, "-c", "2", "-l", "info"], directory: directory.path)
        defer { worker.killIfRunning() }
        let script = directory.path + "/client.py"
        try Self.client.write(toFile: script, atomically: true, encoding: .utf8)

        // Python sends, the Swift worker runs, Python reads the result.
        let sender = try AppProcess(executable: python, arguments: [script, "send", url], directory: directory.path)
        #expect(try await sender.waitForExit(timeout: .seconds(120)) == 0, "\(sender.log.suffix(3000))")
        #expect(sender.log.contains("result=5"), "\(sender.log.suffix(3000))\nworker:\n\(worker.log.suffix(2000))")
        let pythonID = try #require(sender.log.split(separator: "\n").first { $0.hasPrefix("id=") }?.dropFirst(3)).description

        try await withExampleApp(directory: directory, inProcessWorker: false, brokerURL: url) { app in
            // The Python-sent task's result, through GET /tasks/:id.
            let status = try await waitForReady(app, id: pythonID)
            #expect(status.state == "SUCCESS")
            #expect(status.result == .int(5))

            // POST /add sends through req.celeriac, the Swift worker runs it, Python reads the result.
            let id = try await postAdd(app, x: 20, y: 22)
            let reader = try AppProcess(executable: python, arguments: [script, "get", url, id], directory: directory.path)
            #expect(try await reader.waitForExit(timeout: .seconds(120)) == 0, "\(reader.log.suffix(3000))")
            #expect(reader.log.contains("result=42"), "\(reader.log.suffix(3000))")
        }
        worker.send(SIGTERM)
        #expect(try await worker.waitForExit(timeout: .seconds(60)) == 0, "\(worker.log.suffix(3000))")
    }
}

/// A TCP port free on 127.0.0.1 right now.
func freePort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw AppProcess.Failure(description: "socket: \(String(cString: strerror(errno)))") }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
    guard bound == 0 else { throw AppProcess.Failure(description: "bind: \(String(cString: strerror(errno)))") }
    let named = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
    guard named == 0 else { throw AppProcess.Failure(description: "getsockname: \(String(cString: strerror(errno)))") }
    return Int(UInt16(bigEndian: address.sin_port))
}
