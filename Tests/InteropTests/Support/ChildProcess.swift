import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A process a test starts, with standard output and error in files (files, not pipes: a chatty worker never
/// blocks on a full pipe).
///
/// It runs under a small `/bin/sh` watchdog that kills it with SIGKILL if the test process dies, so a crashed
/// test run leaks no worker. The watchdog exits with the child's status; signals go to the child by its pid.
///
/// Started with `posix_spawn` and an empty signal mask, not `Foundation.Process`: a test runs on a dispatch
/// thread that blocks most signals, and `Process` passes that mask on, so the shell's `wait` would never see
/// SIGCHLD and a worker would ignore SIGTERM.
final class ChildProcess {
    /// How a process ended: `exited(status)`, or `signalled(signal)`.
    enum Exit: Equatable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)

        var description: String {
            switch self {
            case .exited(let status): "exit status \(status)"
            case .signalled(let signal): "killed by signal \(signal)"
            }
        }
    }

    /// A short name for messages ("swift-worker", "python-client").
    let name: String
    /// The command line, for messages.
    let commandLine: [String]
    let stdoutPath: String
    let stderrPath: String
    /// The watchdog shell's pid.
    private let watchdogPID: pid_t
    private let pidFile: String
    private var childPID: pid_t = 0
    private var ended: Exit?

    private static let script = """
        cd "$CHILD_DIRECTORY" || exit 127
        "$0" "$@" &
        child=$!
        echo $child > "$PIDFILE"
        ( while kill -0 "$WATCHED" 2>/dev/null; do sleep 0.5; done; kill -KILL $child 2>/dev/null ) &
        watcher=$!
        wait $child
        status=$?
        kill $watcher 2>/dev/null
        exit $status
        """

    /// Starts `executable arguments...` in `workingDirectory` with exactly `environment`; its output, error and
    /// pid files go to `directory`.
    init(name: String, executable: String, arguments: [String], environment: [String: String], directory: String, workingDirectory: String? = nil) throws {
        let tag = "\(name)-\(UUID().uuidString.prefix(8).lowercased())"
        self.name = name
        self.commandLine = [executable] + arguments
        self.stdoutPath = (directory as NSString).appendingPathComponent("\(tag).stdout")
        self.stderrPath = (directory as NSString).appendingPathComponent("\(tag).stderr")
        self.pidFile = (directory as NSString).appendingPathComponent("\(tag).pid")
        let files = FileManager.default
        guard files.createFile(atPath: stdoutPath, contents: nil), files.createFile(atPath: stderrPath, contents: nil) else {
            throw InteropError("cannot create output files in \(directory)")
        }
        var environment = environment
        environment["WATCHED"] = "\(getpid())"
        environment["PIDFILE"] = pidFile
        environment["CHILD_DIRECTORY"] = workingDirectory ?? directory
        do {
            watchdogPID = try Self.spawn(
                "/bin/sh", ["/bin/sh", "-c", Self.script, executable] + arguments,
                environment: environment.map { "\($0.key)=\($0.value)" }, stdout: stdoutPath, stderr: stderrPath)
        } catch {
            throw InteropError("cannot start \(executable) \(arguments.joined(separator: " ")): \(error)")
        }
    }

    /// `posix_spawn` with standard input from /dev/null, output and errors appended to files, no blocked
    /// signals and default actions for the usual ones.
    private static func spawn(_ path: String, _ arguments: [String], environment: [String], stdout: String, stderr: String) throws -> pid_t {
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
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_APPEND | O_CREAT, 0o644)

        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard status == 0 else { throw InteropError("posix_spawn \(path): \(String(cString: strerror(status)))") }
        return pid
    }

    /// Reaps the watchdog if it ended; returns how it ended.
    private func poll() -> Exit? {
        if let ended { return ended }
        var status: Int32 = 0
        let result = waitpid(watchdogPID, &status, WNOHANG)
        if result == 0 { return nil }
        if result < 0 {
            if errno == EINTR { return nil }
            // Someone else reaped it (ECHILD): it is gone, its status unknown.
            ended = .exited(-1)
            return ended
        }
        let signal = status & 0x7f
        if signal == 0 {
            let code = (status >> 8) & 0xff
            // The shell reports a child killed by signal N as status 128+N.
            ended = code > 128 && code < 160 ? .signalled(code - 128) : .exited(code)
        } else {
            ended = .signalled(signal)
        }
        return ended
    }

    var isRunning: Bool { poll() == nil }

    /// The child's pid (read from the watchdog's pid file), or 0 before it is known.
    var pid: pid_t {
        if childPID == 0, let text = try? String(contentsOfFile: pidFile, encoding: .utf8), let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            childPID = pid
        }
        return childPID
    }

    /// How the process ended, or `nil` while it runs.
    var exit: Exit? { poll() }

    /// Sends `signal` to the child while it runs.
    func send(_ signal: Int32) {
        guard isRunning else { return }
        let pid = self.pid
        if pid > 0 { kill(pid, signal) }
    }

    /// Waits for the process to end, at most `timeout`; returns how it ended, or `nil` if it still runs.
    func waitForExit(timeout: Duration) async -> Exit? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let exit = poll() { return exit }
            if ContinuousClock.now >= deadline { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Asks the child to stop (SIGTERM), waits up to `grace`, then kills it (SIGKILL) and waits a bounded time.
    func stop(grace: Duration = .seconds(3)) async {
        guard isRunning else { return }
        // The pid file appears right after start; give a process stopped at once a moment to write it.
        for _ in 0..<50 where pid == 0 && isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        send(SIGTERM)
        if await waitForExit(timeout: grace) != nil { return }
        send(SIGKILL)
        if await waitForExit(timeout: .seconds(5)) != nil { return }
        kill(watchdogPID, SIGKILL)
        _ = await waitForExit(timeout: .seconds(2))
    }

    /// Everything written to standard output so far.
    var standardOutput: String { Self.read(stdoutPath) }
    /// Everything written to standard error so far (the worker logs).
    var standardError: String { Self.read(stderrPath) }

    /// The last lines of standard output and error, for failure messages.
    func tail(lines: Int = 40) -> String {
        func last(_ text: String) -> String { text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n") }
        return "--- \(name): \(commandLine.joined(separator: " ")) (\(exit.map { "\($0)" } ?? "running"))\n"
            + "--- stdout (last \(lines) lines):\n\(last(standardOutput))\n--- stderr (last \(lines) lines):\n\(last(standardError))"
    }

    private static func read(_ path: String) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// What a one-shot command printed and how it ended.
struct CommandOutput: CustomStringConvertible {
    var commandLine: [String]
    /// `nil` when it did not finish in time (it was killed).
    var exit: ChildProcess.Exit?
    var stdout: String
    var stderr: String

    var succeeded: Bool { exit == .exited(0) }

    /// Standard output split in trimmed, non-empty lines.
    var lines: [String] {
        stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    var description: String {
        "\(commandLine.joined(separator: " ")) -> \(exit.map { "\($0)" } ?? "timed out (killed)")\nstdout:\n\(stdout)\nstderr:\n\(stderr.suffix(4000))"
    }
}
