import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A private RabbitMQ node a test starts on free ports in a temporary directory, and stops by pid (integration
/// tests only).
///
/// The node runs as the current user with its own node name, Erlang distribution and epmd ports, mnesia, logs,
/// cookie (`HOME`) and no plugins; `loopback_users = none` lets `guest` log in. A shell watchdog kills it (and its
/// epmd) when the test process exits, so a crashed run leaks no broker. Starting takes seconds, so suites share
/// ``shared()`` where they can. `@unchecked Sendable`: the mutable `pid` and watchdog are written in `start`
/// before the server is handed out, and in `stop`/`restart` by the one test that owns a private server.
public final class RabbitMQServerProcess: @unchecked Sendable {
    /// The directory of the `rabbitmq-server` and `rabbitmqctl` scripts: `$RABBITMQ_SERVER`'s directory if set,
    /// else the Debian package's `/usr/lib/rabbitmq/bin` (not `/usr/sbin/rabbitmq-server`, which switches user),
    /// else Homebrew's.
    public static let binDirectory: URL? = {
        if let explicit = ProcessInfo.processInfo.environment["RABBITMQ_SERVER"] {
            return FileManager.default.isExecutableFile(atPath: explicit) ? URL(fileURLWithPath: explicit).deletingLastPathComponent() : nil
        }
        let candidates = ["/usr/lib/rabbitmq/bin", "/opt/homebrew/sbin", "/usr/local/sbin"]
        return candidates.map { URL(fileURLWithPath: $0) }.first {
            FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("rabbitmq-server").path)
        }
    }()

    /// Whether this is a CI run, where a missing broker is a failure instead of a skip.
    public static let isCI = ProcessInfo.processInfo.environment["CI"]?.lowercased() == "true"

    /// Whether integration tests run: always on CI (so that they fail without a broker), else only with one.
    public static let shouldRun = binDirectory != nil || isCI

    /// The AMQP port (on 127.0.0.1).
    public let port: Int
    /// The node's directory (config, mnesia, logs, cookie).
    public let directory: URL
    /// The Erlang node name, such as `celeriac5679@localhost`.
    public let nodeName: String
    /// `amqp://guest:guest@127.0.0.1:<port>//`.
    public var url: String { "amqp://guest:guest@127.0.0.1:\(self.port)//" }
    /// The node's process id (the Erlang VM), 0 once stopped.
    public private(set) var pid: pid_t = 0
    private let distributionPort: Int
    private let epmdPort: Int
    private let configLines: [String]
    private var watchdog: Process?
    private var serverProcess: Process?

    private init(port: Int, directory: URL, distributionPort: Int, epmdPort: Int, configLines: [String]) {
        self.port = port
        self.directory = directory
        self.distributionPort = distributionPort
        self.epmdPort = epmdPort
        self.configLines = configLines
        self.nodeName = "celeriac\(port)@localhost"
    }

    /// Starts a node and waits until it accepts AMQP connections (`rabbitmqctl wait`).
    /// - Parameters:
    ///   - configLines: Extra `rabbitmq.conf` lines (TLS listeners, ...); `{dir}` is replaced by the node's directory.
    ///   - timeout: How long to wait for the node. Default 120 s.
    /// - Returns: The running node.
    /// - Throws: ``RabbitMQServerError`` when the scripts are missing or the node doesn't start.
    public static func start(configLines: [String] = [], timeout: Duration = .seconds(120)) async throws -> RabbitMQServerProcess {
        guard binDirectory != nil else {
            throw RabbitMQServerError("rabbitmq-server not found; install it (apt-get install rabbitmq-server) or set RABBITMQ_SERVER")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("celeriac-rabbitmq-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let server = RabbitMQServerProcess(
            port: try RedisServerProcess.freePort(), directory: directory, distributionPort: try RedisServerProcess.freePort(),
            epmdPort: try RedisServerProcess.freePort(), configLines: configLines
        )
        try await server.launch(timeout: timeout)
        return server
    }

    private var environment: [String: String] {
        let dir = self.directory.path
        return [
            "RABBITMQ_NODENAME": self.nodeName, "RABBITMQ_NODE_PORT": "\(self.port)", "RABBITMQ_DIST_PORT": "\(self.distributionPort)",
            "ERL_EPMD_PORT": "\(self.epmdPort)", "RABBITMQ_MNESIA_BASE": "\(dir)/mnesia", "RABBITMQ_LOG_BASE": "\(dir)/log",
            "RABBITMQ_PID_FILE": "\(dir)/node.pid", "RABBITMQ_CONFIG_FILE": "\(dir)/rabbitmq",
            "RABBITMQ_ENABLED_PLUGINS_FILE": "\(dir)/enabled_plugins", "HOME": dir,
            "PATH": "/usr/lib/rabbitmq/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
        ]
    }

    private func launch(timeout: Duration) async throws {
        guard let bin = Self.binDirectory else { throw RabbitMQServerError("rabbitmq-server not found") }
        let dir = self.directory.path
        try FileManager.default.createDirectory(atPath: "\(dir)/mnesia", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(dir)/log", withIntermediateDirectories: true)
        try "[].\n".write(toFile: "\(dir)/enabled_plugins", atomically: true, encoding: .utf8)
        let config = (["loopback_users = none", "listeners.tcp.default = 127.0.0.1:\(self.port)"] + self.configLines)
            .map { $0.replacingOccurrences(of: "{dir}", with: dir) }.joined(separator: "\n") + "\n"
        try config.write(toFile: "\(dir)/rabbitmq.conf", atomically: true, encoding: .utf8)
        try? FileManager.default.removeItem(atPath: "\(dir)/node.pid")
        // In the foreground, under a `sh` that `rabbitmq-server` keeps as the VM's parent (and reaper); `-detached`
        // hangs when started from some parents, and leaves zombies where pid 1 doesn't reap.
        let process = Process()
        process.executableURL = bin.appendingPathComponent("rabbitmq-server")
        process.environment = self.environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.serverProcess = process
        let seconds = Int(timeout.components.seconds)
        let wait = try await self.ctl(["wait", "--timeout", "\(seconds)", "\(dir)/node.pid"], timeout: timeout + .seconds(10))
        if let text = try? String(contentsOfFile: "\(dir)/node.pid", encoding: .utf8), let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            self.pid = pid
        }
        guard wait.status == 0, self.pid > 0 else {
            let log = (try? FileManager.default.contentsOfDirectory(atPath: "\(dir)/log"))?.compactMap {
                try? String(contentsOfFile: "\(dir)/log/\($0)", encoding: .utf8)
            }.joined().suffix(3000) ?? ""
            await self.stop(removingDirectory: false)
            throw RabbitMQServerError("RabbitMQ did not start on port \(self.port): \(wait.output.suffix(1000)) \(log)")
        }
        self.startWatchdog()
    }

    /// Kills the node and its epmd if the test process dies first.
    private func startWatchdog() {
        let script = """
            trap 'exit 0' TERM
            while kill -0 "$WATCHED" 2>/dev/null; do sleep 1; done
            kill -KILL "$NODE" "$WRAPPER" 2>/dev/null
            \(Self.killEPMD)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.environment = ["WATCHED": "\(getpid())", "NODE": "\(self.pid)", "WRAPPER": "\(self.serverProcess?.processIdentifier ?? 0)", "EPMD": "\(self.epmdPort)", "PATH": self.environment["PATH"] ?? "/usr/bin:/bin"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        if (try? process.run()) != nil { self.watchdog = process }
    }

    /// Runs `rabbitmqctl -n <node> <arguments>` against this node.
    /// - Parameters:
    ///   - arguments: The command and its arguments, such as `["add_vhost", "app"]`.
    ///   - timeout: How long it may take.
    /// - Returns: The exit status and the combined output.
    public func ctl(_ arguments: [String], timeout: Duration = .seconds(60)) async throws -> (status: Int32, output: String) {
        guard let bin = Self.binDirectory else { throw RabbitMQServerError("rabbitmqctl not found") }
        return try await Self.run(bin.appendingPathComponent("rabbitmqctl").path, ["-n", self.nodeName] + arguments, environment: self.environment, timeout: timeout)
    }

    /// Stops the node (SIGTERM, then SIGKILL after 5 s: a node with open connections can take much longer) and its epmd.
    /// - Parameter removingDirectory: Whether to delete the node's directory too.
    public func stop(removingDirectory: Bool = true) async {
        if self.pid > 0 {
            kill(self.pid, SIGTERM)
            for _ in 0..<50 where Self.isAlive(self.pid) { try? await Task.sleep(for: .milliseconds(100)) }
            if Self.isAlive(self.pid) { kill(self.pid, SIGKILL) }
        }
        self.pid = 0
        if let serverProcess {
            for _ in 0..<20 where serverProcess.isRunning { try? await Task.sleep(for: .milliseconds(100)) }
            if serverProcess.isRunning { kill(serverProcess.processIdentifier, SIGKILL) }
        }
        self.serverProcess = nil
        self.watchdog?.terminate()
        self.watchdog = nil
        _ = try? await Self.run("/bin/sh", ["-c", Self.killEPMD], environment: self.environment.merging(["EPMD": "\(self.epmdPort)"]) { $1 }, timeout: .seconds(10))
        if removingDirectory { try? FileManager.default.removeItem(at: self.directory) }
    }

    /// Stops the node and starts it again on the same ports with the same data (durable queues and messages
    /// survive, everything else is gone).
    public func restart() async throws {
        await self.stop(removingDirectory: false)
        try await self.launch(timeout: .seconds(120))
    }

    // MARK: Shared node

    private static let sharedServer = SharedRabbitMQ()

    /// One node shared by every test in the process, started on first use and killed by its watchdog when the
    /// process exits. Tests sharing it use unique queue and exchange names.
    /// - Returns: The shared node.
    /// - Throws: ``RabbitMQServerError`` when it can't be started.
    public static func shared() async throws -> RabbitMQServerProcess {
        try await self.sharedServer.get()
    }

    // MARK: Helpers

    /// Stops the private epmd on `$EPMD`; it refuses while it still lists the node, which it does for a moment after
    /// the node died, so try a few times.
    static let killEPMD = """
        for i in 1 2 3 4 5 6 7 8 9 10; do
          case "$(epmd -port "$EPMD" -kill 2>&1)" in *Killed*|*"Cannot connect"*) break ;; esac
          sleep 0.3
        done
        """

    static func isAlive(_ pid: pid_t) -> Bool {
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) {
            let fields = stat.split(separator: ")").last?.split(separator: " ")
            return fields?.first != "Z"
        }
        return kill(pid, 0) == 0
    }

    /// Runs a helper command (`rabbitmqctl`, `epmd`) to its end with ``Subprocess``: reaped by `waitpid`, never by
    /// `Foundation.Process`, which was seen to leave exited children unreaped under load.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String], timeout: Duration) async throws -> (status: Int32, output: String) {
        let result: Subprocess.Result
        do {
            result = try await Subprocess.run(executable, arguments, environment: environment, timeout: timeout)
        } catch {
            throw RabbitMQServerError("\(executable) \(arguments.joined(separator: " ")) failed: \(error)")
        }
        return (result.status ?? -1, result.standardOutput + result.standardError)
    }
}

/// Starts the shared node once, even when many tests ask at the same time.
private actor SharedRabbitMQ {
    private var server: Task<RabbitMQServerProcess, any Error>?

    func get() async throws -> RabbitMQServerProcess {
        if let server { return try await server.value }
        let task = Task { try await RabbitMQServerProcess.start() }
        self.server = task
        return try await task.value
    }
}

/// Runs `body` with a private node, stopped afterwards whatever happens.
/// - Parameters:
///   - configLines: Extra `rabbitmq.conf` lines.
///   - body: The test, given the node.
/// - Returns: What `body` returns.
public func withRabbitMQServer<Value>(
    configLines: [String] = [],
    _ body: (RabbitMQServerProcess) async throws -> Value
) async throws -> Value {
    let server = try await RabbitMQServerProcess.start(configLines: configLines)
    do {
        let value = try await body(server)
        await server.stop()
        return value
    } catch {
        await server.stop()
        throw error
    }
}

/// Why a test's RabbitMQ node could not be started or used.
public struct RabbitMQServerError: Error, CustomStringConvertible {
    /// What went wrong.
    public var description: String
    /// Creates the error.
    public init(_ description: String) { self.description = description }
}
