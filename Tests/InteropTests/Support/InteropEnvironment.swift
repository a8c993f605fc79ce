import Foundation
import Testing

/// What the interop tests need from the machine, and where it is: a `redis-server`, the Python of a venv with
/// Celery 5.7 (`scripts/interop-env.sh` makes one), and the built `celeriac-example`.
///
/// Locally a missing piece skips the tests; with `CI=true` it fails them, with a message that says what to do.
enum Interop {
    /// Whether this is a CI run, where a missing requirement is a failure instead of a skip.
    static let isCI = ProcessInfo.processInfo.environment["CI"]?.lowercased() == "true"

    /// The package's root directory (the one with Package.swift above this file).
    static let packageRoot: String? = {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" && !directory.path.isEmpty {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) { return directory.path }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }()

    /// `Tests/InteropTests/python`: the Celery app (`interop_tasks.py`) and the client driver (`client.py`).
    static let pythonDirectory: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("python").path

    /// The venv's Python: `$CELERIAC_INTEROP_PYTHON`; outside CI also `.build/interop-venv/bin/python` when it exists.
    static let python: String? = {
        if let explicit = ProcessInfo.processInfo.environment["CELERIAC_INTEROP_PYTHON"], !explicit.isEmpty {
            return FileManager.default.isExecutableFile(atPath: explicit) ? explicit : nil
        }
        guard !isCI, let packageRoot else { return nil }
        let local = (packageRoot as NSString).appendingPathComponent(".build/interop-venv/bin/python")
        return FileManager.default.isExecutableFile(atPath: local) ? local : nil
    }()

    /// The `redis-server` binary: `$REDIS_SERVER`, else the usual install paths.
    static let redisServer: String? = {
        if let explicit = ProcessInfo.processInfo.environment["REDIS_SERVER"], !explicit.isEmpty {
            return FileManager.default.isExecutableFile(atPath: explicit) ? explicit : nil
        }
        let candidates = ["/usr/bin/redis-server", "/usr/local/bin/redis-server", "/opt/homebrew/bin/redis-server"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Whether the tests run: always on CI (so that they fail when something is missing), else only when
    /// both redis-server and the venv are there.
    static let shouldRun = isCI || (python != nil && redisServer != nil)

    /// The requirements, or an error naming the missing one and how to get it.
    static func requirements() throws -> (python: String, redisServer: String, example: String) {
        guard let redisServer else {
            throw InteropError("redis-server not found (looked at $REDIS_SERVER, /usr/bin, /usr/local/bin): install it with `apt-get install redis-server`; scripts/test.sh does this")
        }
        guard let python else {
            let given = ProcessInfo.processInfo.environment["CELERIAC_INTEROP_PYTHON"] ?? ""
            throw InteropError(
                given.isEmpty
                    ? "CELERIAC_INTEROP_PYTHON is not set: run `export CELERIAC_INTEROP_PYTHON=$(scripts/interop-env.sh)` (scripts/test.sh does this) to get a venv with celery[redis]==5.7.*"
                    : "CELERIAC_INTEROP_PYTHON=\(given) is not an executable file: rerun scripts/interop-env.sh")
        }
        return (python, redisServer, try exampleBinary())
    }

    /// `$CELERIAC_EXAMPLE_BIN`, else `.build/debug/celeriac-example`.
    static func exampleBinary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["CELERIAC_EXAMPLE_BIN"], !path.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: path) else { throw InteropError("CELERIAC_EXAMPLE_BIN=\(path) is not an executable file") }
            return path
        }
        guard let packageRoot else { throw InteropError("no Package.swift above \(#filePath): set CELERIAC_EXAMPLE_BIN") }
        let path = (packageRoot as NSString).appendingPathComponent(".build/debug/celeriac-example")
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw InteropError("\(path) is missing: run `swift build --build-tests` before `swift test --skip-build`, or set CELERIAC_EXAMPLE_BIN")
        }
        return path
    }
}

/// An error of the interop harness (a requirement missing, a process not starting), with its message.
struct InteropError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Polls `condition` every `interval` until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration, interval: Duration = .milliseconds(100), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return true }
        if ContinuousClock.now >= deadline || Task.isCancelled { return false }
        try? await Task.sleep(for: interval)
    }
}
