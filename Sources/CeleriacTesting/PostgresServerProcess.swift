import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A private PostgreSQL cluster a test starts on a free port in a temporary directory (for integration tests
/// only): `initdb` with trust authentication for local connections from the user `postgres` and password
/// (scram) authentication for the user ``passwordUser``, `pg_ctl start` on 127.0.0.1, and `pg_ctl stop` on
/// its own data directory, so no other cluster is touched. PostgreSQL refuses to run as root; as root the
/// cluster runs as the `postgres` user through `runuser`.
///
/// `@unchecked Sendable` is safe: the only mutable state (`isRunning`) is written by the one test that owns
/// the cluster, from its own task.
public final class PostgresServerProcess: @unchecked Sendable {
    /// The directory of PostgreSQL's programs: `$PG_BIN`, else the newest `/usr/lib/postgresql/*/bin` with
    /// `initdb`, else the directory of an `initdb` on the usual paths.
    public static let binDirectory: String? = {
        let fm = FileManager.default
        if let explicit = ProcessInfo.processInfo.environment["PG_BIN"] {
            return fm.isExecutableFile(atPath: explicit + "/initdb") ? explicit : nil
        }
        let root = "/usr/lib/postgresql"
        let versions = ((try? fm.contentsOfDirectory(atPath: root)) ?? []).compactMap { Int($0) }.sorted(by: >)
        for version in versions where fm.isExecutableFile(atPath: "\(root)/\(version)/bin/initdb") {
            return "\(root)/\(version)/bin"
        }
        for directory in ["/usr/local/pgsql/bin", "/opt/homebrew/bin", "/usr/local/bin"] where fm.isExecutableFile(atPath: directory + "/initdb") {
            return directory
        }
        return nil
    }()

    /// Whether this is a CI run, where a missing PostgreSQL is a failure instead of a skip.
    public static let isCI = ProcessInfo.processInfo.environment["CI"]?.lowercased() == "true"

    /// Whether PostgreSQL integration tests run: always on CI (so that they fail without PostgreSQL), else
    /// only where PostgreSQL is installed.
    public static let shouldRun = binDirectory != nil || isCI

    /// The user that logs in with a password (scram-sha-256), for tests of credentials.
    public static let passwordUser = "celeriac_pw"
    /// That user's password.
    public static let password = "s3cret-pw"

    /// The port the server listens on (127.0.0.1).
    public let port: Int
    /// The cluster's directory (data directory `data/`, socket, log).
    public let directory: URL
    /// Whether the server was started and not stopped since.
    public private(set) var isRunning = false
    private let bin: String

    private init(port: Int, directory: URL, bin: String) {
        self.port = port
        self.directory = directory
        self.bin = bin
    }

    /// A `postgresql://` URL for `database` as the trust-authenticated superuser `postgres`.
    public func url(database: String = "postgres", scheme: String = "db+postgresql") -> String {
        "\(scheme)://postgres@127.0.0.1:\(port)/\(database)"
    }

    /// Creates a cluster and starts it.
    /// - Parameter port: the port; a free one by default.
    /// - Throws: ``PostgresServerError`` when PostgreSQL is missing or does not start.
    public static func start(port: Int? = nil) async throws -> PostgresServerProcess {
        guard let bin = binDirectory else {
            throw PostgresServerError("PostgreSQL not found; install it (apt-get install postgresql) or set PG_BIN to the directory of initdb")
        }
        let port = try port ?? RedisServerProcess.freePort()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("celeriac-pg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let server = PostgresServerProcess(port: port, directory: directory, bin: bin)
        if getuid() == 0 {
            try await Self.run("/bin/chown", ["postgres:postgres", directory.path], asPostgres: false)
        }
        try await Self.run(
            bin + "/initdb",
            ["-D", server.dataPath, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        // Trust for postgres (and local sockets); passwords for the password user, so that a wrong one is refused.
        let hba = """
            local all all trust
            host all \(passwordUser) 127.0.0.1/32 scram-sha-256
            host all \(passwordUser) ::1/128 scram-sha-256
            host all all 127.0.0.1/32 trust
            host all all ::1/128 trust

            """
        try hba.write(toFile: server.dataPath + "/pg_hba.conf", atomically: false, encoding: .utf8)
        try await server.startServer()
        try await server.psql("CREATE ROLE \(passwordUser) LOGIN SUPERUSER PASSWORD '\(password)'")
        return server
    }

    private var dataPath: String { directory.appendingPathComponent("data").path }

    private func startServer() async throws {
        do {
            try await Self.run(
                bin + "/pg_ctl",
                ["-D", dataPath, "-l", directory.appendingPathComponent("server.log").path, "-w", "-t", "60",
                 "-o", "-p \(port) -k \(directory.path) -c listen_addresses=127.0.0.1 -c fsync=off -c TimeZone=UTC", "start"])
        } catch {
            let log = (try? String(contentsOf: directory.appendingPathComponent("server.log"), encoding: .utf8)) ?? ""
            throw PostgresServerError("PostgreSQL did not start on port \(port): \(error) \(log.suffix(2000))")
        }
        isRunning = true
        startWatchdog()
    }

    /// A shell that stops the cluster if the test process dies without stopping it (a crash, a kill), so no
    /// server is leaked; it ends by itself once the cluster is stopped (no `postmaster.pid`).
    private func startWatchdog() {
        let stop = (getuid() == 0 ? "/usr/sbin/runuser -u postgres -- " : "") + "\"$BIN/pg_ctl\" -D \"$DATA\" -m immediate stop"
        let script = """
            while kill -0 "$WATCHED" 2>/dev/null && [ -f "$DATA/postmaster.pid" ]; do sleep 1; done
            if [ -f "$DATA/postmaster.pid" ]; then \(stop) >/dev/null 2>&1; fi
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.environment = ["WATCHED": "\(getpid())", "DATA": dataPath, "BIN": bin, "PATH": "/usr/sbin:/usr/bin:/bin"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try? process.run()
    }

    /// Runs SQL with `psql` as `postgres` on `database`; returns its unaligned, tuples-only output.
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") async throws -> String {
        try await Self.run(
            bin + "/psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-d", database, "-X", "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
            asPostgres: false)
    }

    /// Creates a database.
    public func createDatabase(_ name: String) async throws {
        try await psql("CREATE DATABASE \"\(name)\"")
    }

    /// `pg_dump` of `database` with the given options (`--schema-only`, `--data-only --inserts`, `-t table`).
    public func dump(database: String, _ options: [String]) async throws -> String {
        try await Self.run(bin + "/pg_dump", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-d", database] + options, asPostgres: false)
    }

    /// Stops the server (`pg_ctl -m fast stop`) and keeps its data, for ``restart()``.
    public func stopServer() async {
        guard isRunning else { return }
        _ = try? await Self.run(bin + "/pg_ctl", ["-D", dataPath, "-m", "fast", "-w", "-t", "60", "stop"])
        isRunning = false
    }

    /// Starts the stopped server again on the same port with the same data.
    public func restart() async throws {
        await stopServer()
        try await startServer()
    }

    /// Stops the server and removes its directory.
    public func stop() async {
        await stopServer()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs a program to completion; as root, PostgreSQL's programs run as `postgres` (`runuser`).
    ///
    /// Through ``Subprocess`` (`posix_spawn`, output in files, `waitpid` polled from an async loop): `pg_ctl start`
    /// leaves the postmaster running, which would keep a pipe open; Foundation's `Process` did not reap `runuser`
    /// here; and a blocking wait would hold one of the two threads of the cooperative pool for seconds.
    @discardableResult
    static func run(_ program: String, _ arguments: [String], asPostgres: Bool = true) async throws -> String {
        let (path, fullArguments): (String, [String]) =
            asPostgres && getuid() == 0 ? ("/usr/sbin/runuser", ["-u", "postgres", "--", program] + arguments) : (program, arguments)
        var environment = ProcessInfo.processInfo.environment
        environment["LC_ALL"] = "C.UTF-8"
        environment["PGTZ"] = "UTC"
        let result: Subprocess.Result
        do {
            result = try await Subprocess.run(path, fullArguments, environment: environment, directory: "/tmp", timeout: .seconds(120))
        } catch {
            throw PostgresServerError("cannot run \(program): \(error)")
        }
        guard result.succeeded else {
            let name = (program as NSString).lastPathComponent
            throw PostgresServerError("\(name) failed (\(result.status.map { "exit \($0)" } ?? "signal \(result.signal ?? 0)")): \(result.standardError) \(result.standardOutput)")
        }
        return result.standardOutput
    }
}

/// Runs `body` with a fresh cluster, stopped afterwards whatever happens.
public func withPostgresServer<Value>(_ body: (PostgresServerProcess) async throws -> Value) async throws -> Value {
    let server = try await PostgresServerProcess.start()
    do {
        let value = try await body(server)
        await server.stop()
        return value
    } catch {
        await server.stop()
        throw error
    }
}

/// Why a test's PostgreSQL could not be started or used.
public struct PostgresServerError: Error, CustomStringConvertible {
    /// What went wrong.
    public var description: String
    /// Creates the error.
    public init(_ description: String) { self.description = description }
}
