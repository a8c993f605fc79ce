import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `redis-server` a test starts on a free port and stops by pid (for integration tests only).
///
/// The server runs under a small shell watchdog that kills it if the test process dies, so a crashed test run
/// leaks no server. Its files (log, config, certificates) live in a temporary directory removed on ``stop()``.
/// `@unchecked Sendable` is safe here because the only mutable state (`pid` and the watchdog `Process`) is written in
/// `start` before the server is handed out and in `stop`, which the one test owning the server calls from its
/// own task after its last use; no two tasks touch a server's state at once.
public final class RedisServerProcess: @unchecked Sendable {
    /// The `redis-server` binary: `$REDIS_SERVER` if set (even to a missing path), else the usual install paths.
    public static let binary: String? = {
        if let explicit = ProcessInfo.processInfo.environment["REDIS_SERVER"] {
            return FileManager.default.isExecutableFile(atPath: explicit) ? explicit : nil
        }
        let candidates = ["/usr/bin/redis-server", "/usr/local/bin/redis-server", "/opt/homebrew/bin/redis-server"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Arguments every test server gets: Redis 7 refuses `DEBUG` (used for slow commands) unless enabled.
    public static let commonArguments: [String] = {
        guard let binary, let output = try? Subprocess.runBlocking(binary, ["--version"]).standardOutput else { return [] }
        let version = output.split(separator: " ").first { $0.hasPrefix("v=") }?.dropFirst(2)
        let major = version.flatMap { $0.split(separator: ".").first }.flatMap { Int($0) } ?? 0
        return major >= 7 ? ["--enable-debug-command", "yes"] : []
    }()

    /// Whether this is a CI run, where a missing server is a failure instead of a skip.
    public static let isCI = ProcessInfo.processInfo.environment["CI"]?.lowercased() == "true"

    /// Whether integration tests run: always on CI (so that they fail without a server), else only with a server.
    public static let shouldRun = binary != nil || isCI

    /// The port the server listens on (127.0.0.1 and ::1).
    public let port: Int
    /// The directory for the server's files (log, pid, AOF, certificates).
    public let directory: URL
    /// The server's process id, 0 once stopped.
    public private(set) var pid: pid_t = 0
    private var watchdog: Process?

    private init(port: Int, directory: URL) {
        self.port = port
        self.directory = directory
    }

    /// Starts a server with `--save '' --appendonly no` and the given extra arguments.
    /// - Parameters:
    ///   - arguments: Extra `redis-server` arguments; `{dir}` is replaced by the server's directory.
    ///   - port: The port; a free one by default.
    ///   - directory: The directory for the server's files; a new temporary one by default.
    ///   - configFile: Contents for a config file passed as the first argument (Sentinel needs one).
    ///   - readyPort: The port to wait for, if not `port` (a TLS-only server).
    public static func start(
        _ arguments: [String] = [],
        port: Int? = nil,
        directory: URL? = nil,
        configFile: String? = nil,
        readyPort: Int? = nil
    ) async throws -> RedisServerProcess {
        guard let binary else {
            throw RedisServerError("redis-server not found; install it (apt-get install redis-server) or set REDIS_SERVER")
        }
        let port = try port ?? Self.freePort()
        let directory = try directory ?? Self.makeTemporaryDirectory()
        let server = RedisServerProcess(port: port, directory: directory)
        var serverArguments: [String] = []
        if let configFile {
            let path = directory.appendingPathComponent("server-\(port).conf").path
            try configFile.write(toFile: path, atomically: true, encoding: .utf8)
            serverArguments.append(path)
        }
        serverArguments += ["--port", "\(port)", "--save", "", "--appendonly", "no", "--bind", "127.0.0.1 -::1",
            "--dir", directory.path, "--logfile", directory.appendingPathComponent("redis-\(port).log").path]
        serverArguments += Self.commonArguments
        serverArguments += arguments.map { $0.replacingOccurrences(of: "{dir}", with: directory.path) }
        let pidFile = directory.appendingPathComponent("redis-\(port).pid")
        try? FileManager.default.removeItem(at: pidFile)
        let script = """
            "$0" "$@" &
            child=$!
            echo $child > "$PIDFILE"
            trap 'kill -TERM $child 2>/dev/null; kill -CONT $child 2>/dev/null; wait $child; exit 0' TERM INT
            while kill -0 "$WATCHED" 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 0.2; done
            kill -KILL $child 2>/dev/null
            wait $child 2>/dev/null
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script, binary] + serverArguments
        process.environment = ["WATCHED": "\(getpid())", "PIDFILE": pidFile.path, "PATH": "/usr/bin:/bin"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        server.watchdog = process
        for _ in 0..<250 {
            if server.pid == 0, let text = try? String(contentsOf: pidFile, encoding: .utf8), let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                server.pid = pid
            }
            if server.pid != 0, Self.canConnect(port: readyPort ?? port) { return server }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let log = (try? String(contentsOf: directory.appendingPathComponent("redis-\(port).log"), encoding: .utf8)) ?? ""
        await server.stop(removingDirectory: false)
        throw RedisServerError("redis-server did not start on port \(port): \(log.suffix(2000))")
    }

    /// Sends a signal to the server process (`SIGSTOP` to freeze it, `SIGCONT` to resume, `SIGKILL` to crash it).
    public func signal(_ signal: Int32) {
        if self.pid > 0 { kill(self.pid, signal) }
    }

    /// Stops the server and waits for it to exit.
    /// - Parameter removingDirectory: Whether to delete the server's temporary directory too.
    public func stop(removingDirectory: Bool = true) async {
        if self.pid > 0 {
            kill(self.pid, SIGCONT)
            kill(self.pid, SIGKILL)
        }
        if let watchdog {
            for _ in 0..<250 where watchdog.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
            if watchdog.isRunning { watchdog.terminate() }
        }
        self.watchdog = nil
        self.pid = 0
        if removingDirectory { try? FileManager.default.removeItem(at: self.directory) }
    }

    /// Starts a new server on the same port and directory, after this one stopped.
    public func restart(_ arguments: [String] = []) async throws -> RedisServerProcess {
        await self.stop(removingDirectory: false)
        return try await RedisServerProcess.start(arguments, port: self.port, directory: self.directory)
    }

    /// A new empty temporary directory for a server's files.
    public static func makeTemporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("celeriac-redis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A TCP port nobody listens on right now.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Self.streamType, 0)
        guard fd >= 0 else { throw RedisServerError("socket() failed") }
        defer { close(fd) }
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw RedisServerError("bind() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether a TCP connection to 127.0.0.1:`port` succeeds.
    public static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Self.streamType, 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = Self.loopback(port: port)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// A socket that listens on a free port but never answers: connects succeed, replies never come.
    public static func silentListener() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Self.streamType, 0)
        guard fd >= 0 else { throw RedisServerError("socket() failed") }
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else {
            close(fd)
            throw RedisServerError("listen() failed")
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    #if canImport(Glibc)
    private static let streamType = Int32(SOCK_STREAM.rawValue)
    #else
    private static let streamType = SOCK_STREAM
    #endif
}

/// Runs `body` with a fresh server, stopped afterwards whatever happens.
public func withRedisServer<Value>(
    _ arguments: [String] = [],
    _ body: (RedisServerProcess) async throws -> Value
) async throws -> Value {
    let server = try await RedisServerProcess.start(arguments)
    do {
        let value = try await body(server)
        await server.stop()
        return value
    } catch {
        await server.stop()
        throw error
    }
}

/// Why a test's `redis-server` could not be started or used.
public struct RedisServerError: Error, CustomStringConvertible {
    /// What went wrong.
    public var description: String
    /// Creates the error.
    public init(_ description: String) { self.description = description }
}
