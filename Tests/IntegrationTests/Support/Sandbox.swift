@testable import Celeriac
import CeleriacSQLite
import Foundation
import Testing

/// One test's world: a fresh temporary directory with one SQLite file that every process shares, a queue
/// name no other test uses, the processes started (killed at the end, whatever happens) and the test's
/// own producer on the same file.
///
/// Set `CELERIAC_IT_KEEP=1` to keep the directory (database and process logs) after the test.
final class Sandbox {
    let directory: String
    let databasePath: String
    /// A queue only this test uses.
    let queue: String
    /// The test process's producer and result reader.
    let client: TestClient
    private var processes: [ExampleProcess] = []

    /// `sqlite:////absolute/path` for the shared file.
    var brokerURL: String { "sqlite:///" + databasePath }

    private init(directory: String, databasePath: String, queue: String, client: TestClient) {
        self.directory = directory
        self.databasePath = databasePath
        self.queue = queue
        self.client = client
    }

    /// Runs `body` in a new sandbox, then kills leftover processes, closes the client and removes the directory.
    static func run<T>(_ body: (Sandbox) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("celeriac-it-\(UUID().uuidString.prefix(8).lowercased())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let databasePath = (directory as NSString).appendingPathComponent("celeriac.sqlite")
        let client: TestClient
        do {
            client = try await TestClient.open(path: databasePath)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        let sandbox = Sandbox(directory: directory, databasePath: databasePath, queue: "it-\(UUID().uuidString.prefix(8).lowercased())", client: client)
        do {
            let value = try await body(sandbox)
            await sandbox.tearDown()
            return value
        } catch {
            await sandbox.tearDown()
            throw error
        }
    }

    private func tearDown() async {
        for process in processes { process.stop() }
        await client.close()
        if ProcessInfo.processInfo.environment["CELERIAC_IT_KEEP"] == "1" {
            print("integration test files kept in \(directory)")
        } else {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// The environment of child processes: this process's, without any `CELERY_`/`CELERIAC_` setting,
    /// plus the shared broker URL and `extra`.
    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("CELERY_") && !$0.key.hasPrefix("CELERIAC_") }
        environment["CELERY_BROKER_URL"] = brokerURL
        for (key, value) in extra { environment[key] = value }
        return environment
    }

    /// Starts `celeriac-example arguments...` (or another `product`, e.g. `celeriac`); it is killed at the end
    /// of the test if still running.
    func start(_ name: String, _ arguments: [String], environment extra: [String: String] = [:], product: String = ExampleBinary.example) throws -> ExampleProcess {
        let process = try ExampleProcess(name: name, arguments: arguments, environment: environment(extra), directory: directory, product: product)
        processes.append(process)
        return process
    }

    /// Starts `worker -l debug -Q <queue> -n <name>@it -c <concurrency>` and waits for its "worker ready" line.
    /// Debug, for the "Task started" lines that count executions.
    func startWorker(
        _ name: String, concurrency: Int, arguments: [String] = [], environment extra: [String: String] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> ExampleProcess {
        let worker = try start(
            "worker-\(name)", ["worker", "-l", "debug", "-Q", queue, "-n", "\(name)@it", "-c", "\(concurrency)"] + arguments,
            environment: extra)
        let ready = await eventually(timeout: .seconds(15)) { worker.log.contains(WorkerEvent.ready) || !worker.isRunning }
        guard ready, worker.isRunning else {
            throw IntegrationError("worker \(name) did not become ready (\(worker.exit.map { "\($0)" } ?? "still starting"))\n\(worker.tail())")
        }
        return worker
    }

    /// Runs a one-shot command (`call`, `result`, `status`...) of `celeriac-example` (or of `product`, e.g.
    /// `celeriac`) to its end, killing it after `timeout`.
    func command(
        _ arguments: [String], environment extra: [String: String] = [:], timeout: Duration = .seconds(20), product: String = ExampleBinary.example
    ) async throws -> CommandOutput {
        let process = try start(arguments.first ?? "command", arguments, environment: extra, product: product)
        let exit = await process.waitForExit(timeout: timeout)
        process.stop()
        return CommandOutput(arguments: arguments, product: product, exit: exit, stdout: process.standardOutput, stderr: process.standardError)
    }

    /// Sends SIGTERM and waits for the worker to exit.
    func stopWorker(_ worker: ExampleProcess, timeout: Duration = .seconds(15)) async -> ExampleProcess.Exit? {
        worker.terminate()
        return await worker.waitForExit(timeout: timeout)
    }

    /// Waits (at most `timeout`) until the queue holds `ready` ready and `unacked` unacked messages.
    /// - Returns: the last depth seen: the expected one unless the timeout passed.
    func waitForDepth(of queue: String? = nil, ready: Int, unacked: Int, timeout: Duration = .seconds(10)) async throws -> QueueDepth {
        var depth = try await self.depth(of: queue)
        _ = try await eventually(timeout: timeout) {
            depth = try await self.depth(of: queue)
            return depth.ready == ready && depth.unacked == unacked
        }
        return depth
    }

    /// The shared queue's ready and unacked counts (zero when it holds nothing).
    func depth(of queue: String? = nil) async throws -> QueueDepth {
        let name = queue ?? self.queue
        let depths = try await client.broker.queueDepths()
        return depths.first { $0.queue == name } ?? QueueDepth(queue: name, ready: 0, unacked: 0)
    }
}

/// The test process's own producer: a ``CeleriacApp`` on the sandbox's SQLite file.
struct TestClient {
    let app: CeleriacApp
    let broker: SQLiteBroker
    let backend: SQLiteResultBackend

    static func open(path: String) async throws -> TestClient {
        let broker = try await SQLiteBroker(path: path)
        do {
            let backend = try await SQLiteResultBackend(path: path)
            var configuration = CeleriacConfiguration()
            configuration.brokerURL = "sqlite:///" + path
            let app = CeleriacApp(configuration: configuration, broker: broker, backend: backend)
            return TestClient(app: app, broker: broker, backend: backend)
        } catch {
            await broker.close()
            throw error
        }
    }

    func close() async {
        await backend.close()
        await broker.close()
    }

    /// Sends a task by name to `queue`; returns its id.
    @discardableResult
    func send(_ name: String, _ args: [JSONValue], queue: String, taskID: String? = nil) async throws -> String {
        try await app.send(name: name, args: args, options: CallOptions(queue: queue, taskID: taskID)).id
    }

    /// The envelope bytes Celery would send for a call, edited by `edit`.
    func envelope(_ name: String, _ args: [JSONValue], queue: String, edit: (inout JSONObject) -> Void = { _ in }) -> (id: String, bytes: [UInt8]) {
        let (message, _) = app.makeMessage(name: name, args: args, kwargs: [:], options: CallOptions(queue: queue))
        var envelope = message.envelope()
        edit(&envelope)
        return (message.headers.id, JSONValue.object(envelope).serializedBytes(.python))
    }

    /// Waits until every task in `ids` is ready (SUCCESS, FAILURE, REVOKED), within `timeout` in all.
    /// - Returns: the metas of the ready ones; a missing id did not finish in time.
    func waitForResults(_ ids: [String], timeout: Duration) async throws -> [String: ResultMeta] {
        let deadline = ContinuousClock.now + timeout
        var metas: [String: ResultMeta] = [:]
        for id in ids {
            let remaining = max(.zero, deadline - ContinuousClock.now)
            if let meta = try await backend.waitForReady(taskID: id, timeout: remaining), meta.status.isReady { metas[id] = meta }
        }
        return metas
    }

    /// The stored state of `id`, or `nil` (PENDING).
    func meta(_ id: String) async throws -> ResultMeta? {
        try await backend.meta(for: id)
    }
}

/// Polls `condition` every `interval` until it holds or `timeout` passes.
/// - Returns: whether it held.
func eventually(timeout: Duration, interval: Duration = .milliseconds(100), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return true }
        if ContinuousClock.now >= deadline || Task.isCancelled { return false }
        try? await Task.sleep(for: interval)
    }
}

/// The exception type of a FAILURE or REVOKED result.
extension ResultMeta {
    var excType: String? { TaskError(json: result)?.excType }
}
