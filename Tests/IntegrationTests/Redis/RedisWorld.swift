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

/// One Redis fault test's world: a private `redis-server`, a temporary directory for process logs, a queue
/// no other test uses and the `celeriac-example` processes started (killed at the end, whatever happens).
/// Everything goes through the real executables and `redis-cli`, as an operator would.
final class RedisWorld: @unchecked Sendable {
    let directory: String
    private(set) var server: IntegrationRedisServer
    let serverArguments: [String]
    let queue: String
    private var processes: [ExampleProcess] = []

    /// `redis://127.0.0.1:PORT/0`.
    var url: String { "redis://127.0.0.1:\(server.port)/0" }

    private init(directory: String, server: IntegrationRedisServer, serverArguments: [String]) {
        self.directory = directory
        self.server = server
        self.serverArguments = serverArguments
        self.queue = "rq-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Whether the Redis tests run: always with CI=true (so a missing server fails), else only with a server.
    static let enabled = IntegrationRedisServer.shouldRun

    /// Runs `body` with a fresh server started with `serverArguments`, then kills processes and the server.
    static func run<T>(_ serverArguments: [String] = [], _ body: (RedisWorld) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("celeriac-it-redis-\(UUID().uuidString.prefix(8).lowercased())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let server: IntegrationRedisServer
        do {
            server = try await IntegrationRedisServer.start(serverArguments)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        let world = RedisWorld(directory: directory, server: server, serverArguments: serverArguments)
        do {
            let value = try await body(world)
            await world.tearDown()
            return value
        } catch {
            await world.tearDown()
            throw error
        }
    }

    private func tearDown() async {
        for process in processes { process.stop() }
        if ProcessInfo.processInfo.environment["CELERIAC_IT_KEEP"] == "1" {
            print("integration test files kept in \(directory) and \(server.directory.path)")
            await server.stop(removingDirectory: false)
        } else {
            await server.stop()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// Kills the server (SIGKILL) and starts a new one on the same port and directory with the same arguments.
    func restartServer(downtime: Duration) async throws {
        await server.stop(removingDirectory: false)
        try await Task.sleep(for: downtime)
        server = try await IntegrationRedisServer.start(serverArguments, port: server.port, directory: server.directory)
    }

    /// This process's environment without `CELERY_`/`CELERIAC_` settings, plus broker and backend URLs and `extra`.
    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("CELERY_") && !$0.key.hasPrefix("CELERIAC_") }
        environment["CELERY_BROKER_URL"] = url
        environment["CELERY_RESULT_BACKEND"] = url
        for (key, value) in extra { environment[key] = value }
        return environment
    }

    func start(_ name: String, _ arguments: [String], environment extra: [String: String] = [:]) throws -> ExampleProcess {
        let process = try ExampleProcess(name: name, arguments: arguments, environment: environment(extra), directory: directory)
        processes.append(process)
        return process
    }

    /// Starts `worker -l debug -Q <queue> -n <name>@it -c <concurrency>` and waits for "worker ready".
    func startWorker(_ name: String, concurrency: Int, environment extra: [String: String] = [:]) async throws -> ExampleProcess {
        let worker = try start("worker-\(name)", ["worker", "-l", "debug", "-Q", queue, "-n", "\(name)@it", "-c", "\(concurrency)"], environment: extra)
        let ready = await eventually(timeout: .seconds(15)) { worker.log.contains(WorkerEvent.ready) || !worker.isRunning }
        guard ready, worker.isRunning else {
            throw IntegrationError("worker \(name) did not become ready (\(worker.exit.map { "\($0)" } ?? "still starting"))\n\(worker.tail())")
        }
        return worker
    }

    /// Runs a one-shot command to its end, killing it after `timeout`.
    func command(_ arguments: [String], environment extra: [String: String] = [:], timeout: Duration = .seconds(15)) async throws -> CommandOutput {
        let process = try start(arguments.first ?? "command", arguments, environment: extra)
        let exit = await process.waitForExit(timeout: timeout)
        process.stop()
        return CommandOutput(arguments: arguments, exit: exit, stdout: process.standardOutput, stderr: process.standardError)
    }

    /// `call <task> -a <args> --queue <queue>`: the new task's id.
    func call(_ task: String, _ args: String) async throws -> String {
        let output = try await command(["call", task, "-a", args, "--queue", queue])
        guard output.succeeded, let id = output.lines.last else { throw IntegrationError("call failed: \(output)") }
        return id
    }

    /// Runs `redis-cli -p PORT arguments...` (bounded) and returns its standard output.
    func redisCLI(_ arguments: [String], password: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.cliBinary)
        var all = ["-p", "\(server.port)"]
        if let password { all += ["-a", password, "--no-auth-warning"] }
        process.arguments = all + arguments
        let path = (directory as NSString).appendingPathComponent("redis-cli-\(UUID().uuidString.prefix(8)).out")
        guard FileManager.default.createFile(atPath: path, contents: nil) else { throw IntegrationError("cannot create \(path)") }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? output.close() }
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        for _ in 0..<500 where process.isRunning { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            throw IntegrationError("redis-cli \(arguments.joined(separator: " ")) did not finish")
        }
        return String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
    }

    static let cliBinary: String = {
        let directory = IntegrationRedisServer.binary.map { ($0 as NSString).deletingLastPathComponent } ?? "/usr/bin"
        return (directory as NSString).appendingPathComponent("redis-cli")
    }()

    /// The stored status of a task (`celery-task-meta-<id>`), or `nil` when none is stored yet.
    func status(of id: String) throws -> String? {
        let text = try redisCLI(["GET", "celery-task-meta-\(id)"]).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return nil }
        return object["status"] as? String
    }

    /// Waits (at most `timeout`) until every task has a stored status; returns the statuses seen.
    func waitForStatuses(_ ids: [String], timeout: Duration) async throws -> [String: String] {
        var statuses: [String: String] = [:]
        _ = try await eventually(timeout: timeout, interval: .milliseconds(200)) {
            for id in ids where statuses[id] == nil || statuses[id] == "STARTED" {
                statuses[id] = try self.status(of: id)
            }
            return ids.allSatisfy { statuses[$0] != nil && statuses[$0] != "STARTED" }
        }
        return statuses
    }
}
