import Celeriac
import CeleriacRabbitMQ
import CeleriacSQLite
import CeleriacTesting
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A real `celeriac-example worker` process on RabbitMQ, for the fault tests: started with its output in a file,
/// stopped (or killed with SIGKILL) by its pid.
final class ExampleWorkerProcess: @unchecked Sendable {
    let process: Process
    let logPath: String
    private let handle: FileHandle

    /// `.build/debug/celeriac-example` (or `$CELERIAC_EXAMPLE_BIN`); an error when it is not built.
    static func binary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["CELERIAC_EXAMPLE_BIN"], !path.isEmpty { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent(".build/debug/celeriac-example").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw RabbitMQServerError("\(path) is missing: run `swift build --build-tests` first, or set CELERIAC_EXAMPLE_BIN")
        }
        return path
    }

    /// Starts `celeriac-example worker -b <broker> --result-backend <backend> -Q <queue> -n <name>@faults -c <n> -l info`.
    init(broker: String, backend: String, queue: String, name: String, concurrency: Int = 2, environment extra: [String: String] = [:], directory: URL) throws {
        logPath = directory.appendingPathComponent("worker-\(name).log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.binary())
        process.arguments = ["worker", "-b", broker, "--result-backend", backend, "-Q", queue, "-n", "\(name)@faults", "-c", "\(concurrency)", "-l", "info"]
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("CELERY_") && !$0.key.hasPrefix("CELERIAC_") }
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var pid: pid_t { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits for the worker's "worker ready" line.
    func waitUntilReady(timeout: Duration = .seconds(30)) async -> Bool {
        await eventually(timeout: timeout, interval: .milliseconds(100)) { log.contains("worker ready") || !isRunning } && isRunning
    }

    /// SIGKILL: no warm shutdown, no acks, the TCP connection just drops.
    func killNine() async {
        kill(pid, SIGKILL)
        _ = await eventually(timeout: .seconds(10)) { !isRunning }
    }

    /// SIGTERM (warm shutdown), SIGKILL after `grace`.
    func stop(grace: Duration = .seconds(10)) async {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        if await !eventually(timeout: grace, { !isRunning }) { await killNine() }
        try? handle.close()
    }
}

/// Queue counts as RabbitMQ itself sees them (`rabbitmqctl list_queues`), other consumers' unacked messages included.
struct RabbitMQQueueCounts: Equatable, CustomStringConvertible {
    var ready: Int
    var unacked: Int
    var consumers: Int
    var description: String { "ready \(ready), unacked \(unacked), consumers \(consumers)" }

    static func of(_ queue: String, on server: RabbitMQServerProcess) async throws -> RabbitMQQueueCounts? {
        let listed = try await server.ctl(["list_queues", "-q", "--no-table-headers", "name", "messages_ready", "messages_unacknowledged", "consumers"], timeout: .seconds(30))
        for line in listed.output.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            guard fields.count == 4, fields[0] == queue, let ready = Int(fields[1]), let unacked = Int(fields[2]), let consumers = Int(fields[3]) else { continue }
            return RabbitMQQueueCounts(ready: ready, unacked: unacked, consumers: consumers)
        }
        return nil
    }
}

/// A temporary directory with a SQLite result backend the worker processes and the test share.
struct FaultSandbox {
    let directory: URL
    var backendPath: String { directory.appendingPathComponent("results.db").path }
    var backendURL: String { "sqlite:///\(backendPath)" }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("celeriac-rmq-faults-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    /// How many of `ids` have a final state stored, and how many of those are SUCCESS.
    static func done(_ ids: [String], in backend: SQLiteResultBackend) async throws -> (final: Int, succeeded: Int) {
        var final = 0
        var succeeded = 0
        for id in ids {
            guard let meta = try await backend.meta(for: id) else { continue }
            if meta.status == .success { succeeded += 1 }
            if meta.status.isReady { final += 1 }
        }
        return (final, succeeded)
    }
}
