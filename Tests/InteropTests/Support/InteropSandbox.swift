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

/// One interop test's world: a temporary directory, its own `redis-server` on a free port (broker and result
/// backend, db 0), and every process the test starts. ``run(_:)`` stops all of them (workers first, Redis last,
/// each by pid) whatever happens.
///
/// Set `CELERIAC_INTEROP_KEEP=1` to keep the directory (process outputs, Redis log) after the test.
final class InteropSandbox {
    let directory: String
    let python: String
    let example: String
    let redisPort: Int
    /// The queue this test's workers consume.
    let queue: String
    private var redis: ChildProcess?
    private var processes: [ChildProcess] = []

    /// `redis://127.0.0.1:<port>/0`, for both broker and result backend.
    var redisURL: String { "redis://127.0.0.1:\(redisPort)/0" }

    private init(directory: String, python: String, example: String, redisPort: Int) {
        self.directory = directory
        self.python = python
        self.example = example
        self.redisPort = redisPort
        self.queue = "interop-\(UUID().uuidString.prefix(6).lowercased())"
    }

    /// Checks the requirements (a clear failure on CI), starts Redis, runs `body`, and cleans up.
    static func run<T>(_ body: (InteropSandbox) async throws -> T) async throws -> T {
        let (python, redisServer, example) = try Interop.requirements()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("celeriac-interop-\(UUID().uuidString.prefix(8).lowercased())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let sandbox = InteropSandbox(directory: directory, python: python, example: example, redisPort: try RedisServerProcess.freePort())
        do {
            try await sandbox.startRedis(binary: redisServer)
            let value = try await body(sandbox)
            await sandbox.tearDown(failed: false)
            return value
        } catch {
            await sandbox.tearDown(failed: true)
            throw error
        }
    }

    private func startRedis(binary: String) async throws {
        let server = try ChildProcess(
            name: "redis", executable: binary,
            arguments: ["--port", "\(redisPort)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory, "--loglevel", "warning"],
            environment: ["PATH": "/usr/bin:/bin"], directory: directory)
        redis = server
        let up = await eventually(timeout: .seconds(10), interval: .milliseconds(20)) { RedisServerProcess.canConnect(port: redisPort) || !server.isRunning }
        guard up, server.isRunning else { throw InteropError("redis-server did not start on port \(redisPort)\n\(server.tail())") }
    }

    private func tearDown(failed: Bool) async {
        for process in processes.reversed() { await process.stop() }
        if let redis {
            // Stop Redis by its pid; the watchdog shell exits with it.
            redis.send(SIGKILL)
            _ = await redis.waitForExit(timeout: .seconds(5))
            await redis.stop(grace: .zero)
        }
        if ProcessInfo.processInfo.environment["CELERIAC_INTEROP_KEEP"] == "1" {
            print("interop test files kept in \(directory)")
        } else {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// The environment of every child: this process's without `CELERY_*`/`CELERIAC_*`, plus the broker and
    /// backend URLs, plus `extra`.
    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("CELERY_") && !$0.key.hasPrefix("CELERIAC_") }
        environment["CELERY_BROKER_URL"] = redisURL
        environment["CELERY_RESULT_BACKEND"] = redisURL
        environment["PYTHONPATH"] = Interop.pythonDirectory
        environment["PYTHONUNBUFFERED"] = "1"
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        environment["INTEROP_QUEUE"] = queue
        for (key, value) in extra { environment[key] = value }
        return environment
    }

    /// Starts a process that lives until the end of the test (or until stopped).
    /// Its output and error go to files in the sandbox; it runs in `workingDirectory` (the sandbox by default).
    func start(_ name: String, executable: String, _ arguments: [String], workingDirectory: String? = nil) throws -> ChildProcess {
        let process = try ChildProcess(
            name: name, executable: executable, arguments: arguments, environment: environment(), directory: directory, workingDirectory: workingDirectory)
        processes.append(process)
        return process
    }

    /// Runs a one-shot command to its end, killing it after `timeout`.
    func run(_ name: String, executable: String, _ arguments: [String], workingDirectory: String? = nil, timeout: Duration) async throws -> CommandOutput {
        let process = try start(name, executable: executable, arguments, workingDirectory: workingDirectory)
        let exit = await process.waitForExit(timeout: timeout)
        if exit == nil { await process.stop(grace: .zero) }
        return CommandOutput(commandLine: process.commandLine, exit: exit, stdout: process.standardOutput, stderr: process.standardError)
    }

    // MARK: Swift side

    /// Starts `celeriac-example worker -b <redis> --result-backend <redis> -Q <queue> -n <name>@interop -l debug`
    /// and waits for its "worker ready" line. Debug, for the "Task started" lines that count executions.
    func startSwiftWorker(_ name: String = "swift", concurrency: Int = 2, extra: [String] = []) async throws -> ChildProcess {
        let worker = try start(
            "swift-worker-\(name)", executable: example,
            ["worker", "-b", redisURL, "--result-backend", redisURL, "-Q", queue, "-n", "\(name)@interop", "-c", "\(concurrency)", "-l", "debug"] + extra)
        let ready = await eventually(timeout: .seconds(20)) { SwiftWorkerLog(worker.standardError).contains("worker ready") || !worker.isRunning }
        guard ready, worker.isRunning else {
            throw InteropError("the Swift worker did not become ready (\(worker.exit.map { "\($0)" } ?? "still starting"))\n\(worker.tail())")
        }
        return worker
    }

    /// Runs `celeriac-example <arguments> -b <redis> --result-backend <redis>`.
    func swift(_ arguments: [String], timeout: Duration = .seconds(30)) async throws -> CommandOutput {
        try await run("swift-\(arguments.first ?? "command")", executable: example, arguments + ["-b", redisURL, "--result-backend", redisURL], timeout: timeout)
    }

    // MARK: Python side

    /// Starts `python -m celery -A interop_tasks worker -P solo -c 1 -Q <queue> --without-gossip --without-mingle
    /// --without-heartbeat -l info -n <name>@interop` (the app found through PYTHONPATH) and waits for its "ready." line.
    func startPythonWorker(_ name: String = "py", extra: [String] = []) async throws -> ChildProcess {
        let worker = try start(
            "python-worker-\(name)", executable: python,
            ["-m", "celery", "-A", "interop_tasks", "worker", "-P", "solo", "-c", "1", "-Q", queue, "--without-gossip", "--without-mingle",
             "--without-heartbeat", "-l", "info", "-n", "\(name)@interop"] + extra)
        let ready = await eventually(timeout: .seconds(30)) { worker.standardError.contains("\(name)@interop ready.") || !worker.isRunning }
        guard ready, worker.isRunning else {
            throw InteropError("the Python worker did not become ready (\(worker.exit.map { "\($0)" } ?? "still starting"))\n\(worker.tail())")
        }
        return worker
    }

    /// Runs `python client.py <arguments>` (see `python/client.py`).
    func client(_ arguments: [String], timeout: Duration = .seconds(40)) async throws -> CommandOutput {
        let script = (Interop.pythonDirectory as NSString).appendingPathComponent("client.py")
        return try await run("python-client-\(arguments.first ?? "command")", executable: python, [script] + arguments, timeout: timeout)
    }

    /// `client.py call NAME ARGS [options] --queue <queue> --timeout T`, parsed.
    func pythonCall(_ name: String, _ args: String, _ options: [String] = [], timeout: Double = 10) async throws -> PythonCall {
        let output = try await client(["call", name, args, "--queue", queue, "--timeout", "\(timeout)"] + options, timeout: .seconds(Int64(timeout) + 30))
        guard output.succeeded || output.exit == .exited(3) else { throw InteropError("the Python client failed:\n\(output)") }
        let lines = output.lines
        guard lines.count >= 3, let last = lines.last, last.hasPrefix("elapsed "), let elapsed = Double(last.dropFirst("elapsed ".count)) else {
            throw InteropError("unexpected output from the Python client:\n\(output)")
        }
        return PythonCall(id: lines[lines.count - 3], outcome: lines[lines.count - 2], elapsed: elapsed, output: output)
    }

    /// The broker state as kombu sees it (`client.py redis-state`).
    func redisState() async throws -> RedisState {
        let output = try await client(["redis-state", "--queue", queue], timeout: .seconds(30))
        guard output.succeeded, let line = output.lines.last, let state = try? JSONDecoder().decode(RedisState.self, from: Data(line.utf8)) else {
            throw InteropError("client.py redis-state failed:\n\(output)")
        }
        return state
    }

    /// Waits until the queue's lists and `unacked` are empty; returns the last state seen.
    func waitForEmptyBroker(timeout: Duration = .seconds(10)) async throws -> RedisState {
        var state = try await redisState()
        _ = try await eventually(timeout: timeout, interval: .milliseconds(300)) {
            state = try await redisState()
            return state.ready == 0 && state.unacked == 0 && state.unacked_index == 0
        }
        return state
    }
}

/// One `client.py call`: the task id, the get line (JSON value, `FAILURE <type> <message>` or `TIMEOUT`), and the
/// seconds from the send to the result.
struct PythonCall: CustomStringConvertible {
    var id: String
    var outcome: String
    var elapsed: Double
    var output: CommandOutput

    var description: String { "id \(id) -> \(outcome) in \(elapsed) s" }
}

/// `client.py redis-state`: the queue's kombu lists and the `unacked` bookkeeping.
struct RedisState: Decodable, CustomStringConvertible {
    var queue: String
    /// LLEN per priority step ("0", "3", "6", "9").
    var lists: [String: Int]
    var ready: Int
    var unacked: Int
    var unacked_index: Int
    var results: Int
    var bindings: [String: [String]]

    var description: String { "queue \(queue): lists \(lists.sorted { $0.key < $1.key }), unacked \(unacked), unacked_index \(unacked_index), results \(results)" }
}

/// The Swift worker's log (swift-log's StreamLogHandler on standard error):
/// `2026-01-01T00:00:00+0000 info celeriac.worker: ... celery.task.id=<id> ... [Celeriac] Task received`.
struct SwiftWorkerLog {
    let lines: [Substring]

    init(_ text: String) { lines = text.split(separator: "\n") }

    func contains(_ event: String) -> Bool { lines.contains { $0.hasSuffix("] \(event)") } }

    /// The task ids of the lines whose message is `event`, in order, repeats included.
    func taskIDs(_ event: String) -> [String] {
        lines.compactMap { line in
            guard line.hasSuffix("] \(event)"), let range = line.range(of: " celery.task.id=") else { return nil }
            return String(line[range.upperBound...].prefix { $0 != " " })
        }
    }
}

/// The Python worker's log: `[... INFO/MainProcess] Task tasks.add[<id>] succeeded in 0.004s: 5`.
struct PythonWorkerLog {
    let lines: [Substring]

    init(_ text: String) { lines = text.split(separator: "\n") }

    /// The ids of `Task <name>[<id>] <event>` lines (event: "received", "succeeded", "raised", "retry"), in order.
    func taskIDs(_ event: String) -> [String] {
        lines.compactMap { line in
            guard let open = line.range(of: "] Task "), let bracket = line[open.upperBound...].firstIndex(of: "[") else { return nil }
            let rest = line[line.index(after: bracket)...]
            guard let close = rest.firstIndex(of: "]"), rest[close...].hasPrefix("] \(event)") else { return nil }
            return String(rest[..<close])
        }
    }
}
