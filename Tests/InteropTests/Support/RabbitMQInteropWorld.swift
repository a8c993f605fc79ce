import CeleriacTesting
import Foundation
import Testing

/// The RabbitMQ side of an interop test: an ``InteropSandbox`` (its directory, its Redis for the Redis result
/// backend, its Python and `celeriac-example`), the shared private RabbitMQ node as broker, a queue of its own,
/// and the processes it starts, all stopped by ``run(_:)``. `rpc://` works in both directions: each client reads
/// the results sent back to its own reply queue.
///
/// On CI a missing `rabbitmq-server` fails the test (``RabbitMQServerProcess/shared()`` throws); locally it skips.
final class RabbitMQInteropWorld {
    let sandbox: InteropSandbox
    let server: RabbitMQServerProcess
    let queue: String
    private var processes: [ChildProcess] = []

    /// `amqp://guest:guest@127.0.0.1:<port>//`.
    var amqpURL: String { server.url }
    /// A SQLite result database in the sandbox (Celeriac's `sqlite://` backend; Python Celery cannot read it).
    var sqliteURL: String { "sqlite:///\(sandbox.directory)/results.db" }

    private init(sandbox: InteropSandbox, server: RabbitMQServerProcess) {
        self.sandbox = sandbox
        self.server = server
        self.queue = "rmq-interop-\(UUID().uuidString.prefix(6).lowercased())"
    }

    /// Runs `body` with a world, then stops every process it started.
    static func run<T>(_ body: (RabbitMQInteropWorld) async throws -> T) async throws -> T {
        if RabbitMQServerProcess.binDirectory == nil && !Interop.isCI {
            print("note: rabbitmq-server is not installed; skipping a RabbitMQ interop test")
            throw RabbitMQInteropSkip()
        }
        let server = try await RabbitMQServerProcess.shared()
        return try await InteropSandbox.run { sandbox in
            let world = RabbitMQInteropWorld(sandbox: sandbox, server: server)
            do {
                let value = try await body(world)
                await world.stopAll()
                return value
            } catch {
                await world.stopAll()
                throw error
            }
        }
    }

    private func stopAll() async {
        for process in processes.reversed() { await process.stop() }
    }

    /// Every child's environment: no inherited `CELERY_*`/`CELERIAC_*`, the broker, `backend`, the queue.
    func environment(backend: String, _ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("CELERY_") && !$0.key.hasPrefix("CELERIAC_") }
        environment["CELERY_BROKER_URL"] = amqpURL
        environment["CELERY_RESULT_BACKEND"] = backend
        environment["PYTHONPATH"] = Interop.pythonDirectory
        environment["PYTHONUNBUFFERED"] = "1"
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        environment["INTEROP_QUEUE"] = queue
        for (key, value) in extra { environment[key] = value }
        return environment
    }

    func start(_ name: String, executable: String, _ arguments: [String], backend: String, extra: [String: String] = [:]) throws -> ChildProcess {
        let process = try ChildProcess(
            name: name, executable: executable, arguments: arguments, environment: environment(backend: backend, extra),
            directory: sandbox.directory)
        processes.append(process)
        return process
    }

    func run(_ name: String, executable: String, _ arguments: [String], backend: String, extra: [String: String] = [:], timeout: Duration) async throws -> CommandOutput {
        let process = try start(name, executable: executable, arguments, backend: backend, extra: extra)
        let exit = await process.waitForExit(timeout: timeout)
        if exit == nil { await process.stop(grace: .zero) }
        return CommandOutput(commandLine: process.commandLine, exit: exit, stdout: process.standardOutput, stderr: process.standardError)
    }

    /// `celeriac-example worker -b amqp://… --result-backend <backend> -Q <queue> -l debug`, once ready.
    func startSwiftWorker(_ name: String = "swift", backend: String, concurrency: Int = 2, extra: [String: String] = [:]) async throws -> ChildProcess {
        let worker = try start(
            "swift-worker-\(name)", executable: sandbox.example,
            ["worker", "-b", amqpURL, "--result-backend", backend, "-Q", queue, "-n", "\(name)@rmq", "-c", "\(concurrency)", "-l", "debug"],
            backend: backend, extra: extra)
        let ready = await eventually(timeout: .seconds(30)) { SwiftWorkerLog(worker.standardError).contains("worker ready") || !worker.isRunning }
        guard ready, worker.isRunning else { throw InteropError("the Swift worker did not become ready\n\(worker.tail())") }
        return worker
    }

    /// A Celery 5.7 worker (`rabbitmq_tasks`: interop_tasks with `INTEROP_QUEUE_TYPE`), once ready.
    func startPythonWorker(_ name: String = "py", backend: String, extra: [String: String] = [:]) async throws -> ChildProcess {
        let worker = try start(
            "python-worker-\(name)", executable: sandbox.python,
            ["-m", "celery", "-A", "rabbitmq_tasks", "worker", "-P", "solo", "-c", "1", "-Q", queue, "--without-gossip", "--without-mingle",
             "--without-heartbeat", "-l", "info", "-n", "\(name)@rmq"],
            backend: backend, extra: extra)
        let ready = await eventually(timeout: .seconds(40)) { worker.standardError.contains("\(name)@rmq ready.") || !worker.isRunning }
        guard ready, worker.isRunning else { throw InteropError("the Python worker did not become ready\n\(worker.tail())") }
        return worker
    }

    /// `rabbitmq_client.py` (client.py with the queue type from `INTEROP_QUEUE_TYPE`).
    func client(_ arguments: [String], backend: String, extra: [String: String] = [:], timeout: Duration = .seconds(60)) async throws -> CommandOutput {
        let script = (Interop.pythonDirectory as NSString).appendingPathComponent("rabbitmq_client.py")
        return try await run("python-client-\(arguments.first ?? "command")", executable: sandbox.python, [script] + arguments, backend: backend, extra: extra, timeout: timeout)
    }

    /// `client.py call …` (send and get in one process), parsed.
    func pythonCall(_ name: String, _ args: String, _ options: [String] = [], backend: String, extra: [String: String] = [:], timeout: Double = 15) async throws -> PythonCall {
        let output = try await client(["call", name, args, "--queue", queue, "--timeout", "\(timeout)"] + options, backend: backend, extra: extra, timeout: .seconds(Int64(timeout) + 40))
        guard output.succeeded || output.exit == .exited(3) else { throw InteropError("the Python client failed:\n\(output)") }
        let lines = output.lines
        guard lines.count >= 3, let last = lines.last, last.hasPrefix("elapsed "), let elapsed = Double(last.dropFirst("elapsed ".count)) else {
            throw InteropError("unexpected output from the Python client:\n\(output)")
        }
        return PythonCall(id: lines[lines.count - 3], outcome: lines[lines.count - 2], elapsed: elapsed, output: output)
    }

    /// `celeriac-example <arguments> -b amqp://… --result-backend <backend>`.
    func swift(_ arguments: [String], backend: String, extra: [String: String] = [:], timeout: Duration = .seconds(60)) async throws -> CommandOutput {
        try await run("swift-\(arguments.first ?? "command")", executable: sandbox.example, arguments + ["-b", amqpURL, "--result-backend", backend], backend: backend, extra: extra, timeout: timeout)
    }

    /// Ready and unacknowledged messages of the test's queue as RabbitMQ counts them.
    func queueCounts() async throws -> (ready: Int, unacked: Int)? {
        let listed = try await server.ctl(["list_queues", "-q", "--no-table-headers", "name", "messages_ready", "messages_unacknowledged"], timeout: .seconds(30))
        for line in listed.output.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            if fields.count == 3, fields[0] == queue, let ready = Int(fields[1]), let unacked = Int(fields[2]) { return (ready, unacked) }
        }
        return nil
    }

    /// The queue's type (`classic` or `quorum`) as RabbitMQ declared it.
    func queueType() async throws -> String? {
        let listed = try await server.ctl(["list_queues", "-q", "--no-table-headers", "name", "type"], timeout: .seconds(30))
        for line in listed.output.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            if fields.count == 2, fields[0] == queue { return String(fields[1]) }
        }
        return nil
    }
}

/// Thrown by ``RabbitMQInteropWorld/run(_:)`` outside CI when RabbitMQ is missing; tests treat it as a skip.
struct RabbitMQInteropSkip: Error {}

/// Runs an interop test body, turning a local skip into a quiet return.
func withRabbitMQInterop(_ body: (RabbitMQInteropWorld) async throws -> Void) async throws {
    do {
        try await RabbitMQInteropWorld.run(body)
    } catch is RabbitMQInteropSkip {
        return
    }
}
