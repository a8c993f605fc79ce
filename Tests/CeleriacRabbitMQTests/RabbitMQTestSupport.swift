import Celeriac
import CeleriacRabbitMQ
import CeleriacTesting
import Foundation
import Logging
import Testing

/// Shared helpers for the RabbitMQ broker tests.
enum RabbitMQTestSupport {
    static let quiet = Logger(label: "celeriac.rabbitmq.tests", factory: { _ in SwiftLogNoOpLogHandler() })

    /// The shared node, or `nil` (with a note) when rabbitmq-server is missing outside CI. On CI a missing
    /// server makes ``RabbitMQServerProcess/shared()`` throw, so the test fails.
    static func server() async throws -> RabbitMQServerProcess? {
        guard RabbitMQServerProcess.shouldRun else {
            print("note: rabbitmq-server is not installed; skipping a RabbitMQ broker test")
            return nil
        }
        return try await RabbitMQServerProcess.shared()
    }

    /// A queue name no other test uses.
    static func uniqueQueue(_ prefix: String = "q") -> String {
        "\(prefix).\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// `Tests/CeleriacRabbitMQTests/python`.
    static let pythonDirectory: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("python").path

    /// The interop venv's Python: `$CELERIAC_INTEROP_PYTHON`, else `.build/interop-venv/bin/python`.
    static let python: String? = {
        if let path = ProcessInfo.processInfo.environment["CELERIAC_INTEROP_PYTHON"], !path.isEmpty { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let local = root.appendingPathComponent(".build/interop-venv/bin/python").path
        return FileManager.default.isExecutableFile(atPath: local) ? local : nil
    }()

    /// The Python to run Celery with, or `nil` (with a note) when there is none outside CI; on CI, an error.
    static func requirePython() throws -> String? {
        if let python { return python }
        if RabbitMQServerProcess.isCI { throw RabbitMQServerError("no Python venv with Celery 5.7 (set CELERIAC_INTEROP_PYTHON)") }
        print("note: no Python venv with Celery; skipping a RabbitMQ interop test")
        return nil
    }

    /// Runs a Python script to completion and returns its output (stdout + stderr).
    static func runPython(_ python: String, _ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(60)) async throws -> (status: Int32, output: String) {
        let process = Process()
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("celeriac-rmq-py-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        defer { try? handle.close() }
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["PYTHONPATH"] = pythonDirectory
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.currentDirectoryURL = URL(fileURLWithPath: pythonDirectory)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.terminate()
                let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
                throw RabbitMQServerError("python \(arguments.joined(separator: " ")) timed out:\n\(text.suffix(3000))")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return (process.terminationStatus, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
    }
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(timeout: Duration, interval: Duration = .milliseconds(100), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}
