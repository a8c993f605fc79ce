import CeleriacTesting
import Foundation

/// A real Celery 5.7 worker (`celery -A rmq_rpc_app worker -P solo`) on a RabbitMQ queue, for the rpc:// and
/// quorum queue tests.
final class RabbitMQPythonWorker: @unchecked Sendable {
    private let process = Process()
    private let log: URL
    private let handle: FileHandle

    /// Starts the worker and waits until it says it is ready (its queues and the delayed delivery topology are
    /// declared by then).
    init(python: String, broker: String, queue: String, quorum: Bool = false) async throws {
        log = FileManager.default.temporaryDirectory.appendingPathComponent("celeriac-rmq-pyworker-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        handle = try FileHandle(forWritingTo: log)
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-m", "celery", "-A", "rmq_rpc_app", "worker", "-P", "solo", "-Q", queue, "--without-gossip",
                             "--without-mingle", "--without-heartbeat", "-n", "py-\(queue)@localhost", "-l", "debug"]
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONPATH"] = RabbitMQTestSupport.pythonDirectory
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        environment["CELERIAC_RMQ_BROKER"] = broker
        environment["CELERIAC_RMQ_QUEUE"] = queue
        environment["CELERIAC_RMQ_QUORUM"] = quorum ? "1" : "0"
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: RabbitMQTestSupport.pythonDirectory)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let ready = await eventually(timeout: .seconds(60), interval: .milliseconds(200)) { [self] in
            output.contains(" ready.") || !process.isRunning
        }
        guard ready, process.isRunning else {
            stop()
            throw RabbitMQServerError("the Python worker did not start:\n\(output.suffix(4000))")
        }
    }

    /// Everything the worker logged so far.
    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Stops the worker (SIGTERM, a warm shutdown), waits up to 15 s for it to exit, then kills it.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning, Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? handle.close()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: log)
    }
}

extension RabbitMQTestSupport {
    /// The first result line of `kind`.
    static func result(_ lines: [[String: Any]], kind: String) -> [String: Any]? {
        lines.first { line in (line["kind"] as? String) == kind }
    }

    /// The `RESULT {json}` lines a Python client printed, decoded.
    static func resultLines(_ output: String) -> [[String: Any]] {
        output.split(separator: "\n").compactMap { line -> [String: Any]? in
            guard line.hasPrefix("RESULT ") else { return nil }
            return (try? JSONSerialization.jsonObject(with: Data(line.dropFirst(7).utf8))) as? [String: Any]
        }
    }
}
