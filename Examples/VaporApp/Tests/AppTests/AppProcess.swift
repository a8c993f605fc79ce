import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process, usually the built `App` executable, (posix_spawn, output to a log file), reaped by polling
/// `waitpid(WNOHANG)` from an async loop so no thread of the cooperative pool blocks.
final class AppProcess: Sendable {
    let pid: pid_t
    let logPath: String

    /// The `App` executable beside this test bundle (`swift build --build-tests` builds both).
    static var executablePath: String {
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        // On macOS the bundle is a directory: …/debug/VaporAppPackageTests.xctest/Contents/MacOS/…
        while directory.pathComponents.count > 1, directory.lastPathComponent != "debug", directory.lastPathComponent != "release",
            !FileManager.default.fileExists(atPath: directory.appendingPathComponent("App").path)
        {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("App").path
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts `App arguments...` with `environment` added to this process's; its log goes to a file in `directory`.
    convenience init(arguments: [String], directory: String, environment: [String: String] = [:]) throws {
        try self.init(executable: Self.executablePath, arguments: arguments, directory: directory, environment: environment)
    }

    /// Starts `executable arguments...` (redis-server, Python) the same way.
    init(executable: String, arguments: [String], directory: String, environment: [String: String] = [:]) throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw Failure(description: "\(executable) is missing or not executable (the App executable: build with `swift build --build-tests` first)")
        }
        logPath = directory + "/\(URL(fileURLWithPath: executable).lastPathComponent)-\(UUID().uuidString).log"
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        let environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child = pid_t()
        let code = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard code == 0 else { throw Failure(description: "posix_spawn \(executable): \(String(cString: strerror(code)))") }
        pid = child
    }

    /// Everything the process printed so far.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Sends `signal`.
    func send(_ signal: Int32) {
        kill(pid, signal)
    }

    /// Waits for the process to exit; returns its exit status (`nil` when a signal killed it). Past `timeout` it
    /// is killed (SIGKILL) and the test fails.
    func waitForExit(timeout: Duration) async throws -> Int32? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            if reaped < 0 && errno != EINTR { throw Failure(description: "waitpid: \(String(cString: strerror(errno)))") }
            if clock.now > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                throw Failure(description: "\(pid) did not exit within \(timeout); log:\n\(log.suffix(3000))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return status & 0x7f == 0 ? (status >> 8) & 0xff : nil
    }

    /// Waits until the log contains `text`.
    func waitForLog(_ text: String, timeout: Duration) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while !log.contains(text) {
            if clock.now > deadline { throw Failure(description: "\"\(text)\" not logged within \(timeout); log:\n\(log.suffix(3000))") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Kills the process if it still runs (for a failed test's cleanup).
    func killIfRunning() {
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == 0 {
            kill(pid, SIGKILL)
            _ = waitpid(pid, &status, 0)
        }
    }
}
