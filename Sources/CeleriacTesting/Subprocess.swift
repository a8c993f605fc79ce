import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs short-lived helper commands (`initdb`, `pg_ctl`, `psql`, `python`, `redis-server --version`) for tests.
///
/// Started with `posix_spawn` with an empty signal mask and reaped with `waitpid(WNOHANG)` polled from an async
/// loop, never with `Foundation.Process.waitUntilExit()`: that blocks a thread of Swift's small cooperative pool
/// (2 threads on a 2-core machine) and, with many tests spawning processes at once, was seen never to return
/// although the child had exited, stalling the whole test run.
public enum Subprocess {
    /// How a command ended and what it printed.
    public struct Result: Sendable, CustomStringConvertible {
        /// The exit status, or `nil` when a signal killed it.
        public var status: Int32?
        /// The signal that killed it, if any.
        public var signal: Int32?
        /// Everything written to standard output.
        public var standardOutput: String
        /// Everything written to standard error.
        public var standardError: String

        /// Whether it exited with status 0.
        public var succeeded: Bool { status == 0 }

        /// `exit status N` or `killed by signal N`, with the output.
        public var description: String {
            let end = status.map { "exit status \($0)" } ?? "killed by signal \(signal ?? 0)"
            return "\(end)\nstdout: \(standardOutput.suffix(2000))\nstderr: \(standardError.suffix(2000))"
        }
    }

    /// Why a command could not be run.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong.
        public var description: String
    }

    /// Runs `executable arguments...` to its end.
    /// - Parameters:
    ///   - executable: the program's absolute path.
    ///   - arguments: its arguments.
    ///   - environment: its environment; this process's by default.
    ///   - directory: its working directory; this process's by default.
    ///   - timeout: how long to wait before killing it (SIGKILL) and throwing.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, directory: String? = nil,
        timeout: Duration = .seconds(120)
    ) async throws -> Result {
        let (pid, outputPath, errorPath) = try spawn(executable, arguments, environment: environment, directory: directory)
        defer {
            unlink(outputPath)
            unlink(errorPath)
        }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            if reaped < 0 && errno != EINTR { throw Failure(description: "waitpid \(executable): \(String(cString: strerror(errno)))") }
            if clock.now > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                throw Failure(description: "\(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout)")
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return result(status: status, outputPath: outputPath, errorPath: errorPath)
    }

    /// Runs a command that finishes at once (`--version`), blocking the calling thread until it exits.
    public static func runBlocking(_ executable: String, _ arguments: [String]) throws -> Result {
        let (pid, outputPath, errorPath) = try spawn(executable, arguments, environment: nil, directory: nil)
        defer {
            unlink(outputPath)
            unlink(errorPath)
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return result(status: status, outputPath: outputPath, errorPath: errorPath)
    }

    private static func result(status: Int32, outputPath: String, errorPath: String) -> Result {
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let errors = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        let signal = status & 0x7f
        return signal == 0
            ? Result(status: (status >> 8) & 0xff, signal: nil, standardOutput: output, standardError: errors)
            : Result(status: nil, signal: signal, standardOutput: output, standardError: errors)
    }

    private static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String]?, directory: String?
    ) throws -> (pid_t, String, String) {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("celeriac-subprocess-\(UUID().uuidString)").path
        let outputPath = base + ".out"
        let errorPath = base + ".err"
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_TRUNC | O_CREAT, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_TRUNC | O_CREAT, 0o644)

        // A working directory through a tiny shell, which then execs the program.
        let program = directory == nil ? executable : "/bin/sh"
        let argumentList = directory.map { ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", $0, executable] + arguments } ?? ([executable] + arguments)
        let environmentList = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let argv: [UnsafeMutablePointer<CChar>?] = argumentList.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environmentList.map { strdup($0) } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, program, &actions, &attributes, argv, envp)
        guard status == 0 else { throw Failure(description: "posix_spawn \(executable): \(String(cString: strerror(status)))") }
        return (pid, outputPath, errorPath)
    }
}
