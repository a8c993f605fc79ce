import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A worker child process: this binary started again as `celeriac-bench worker`.
///
/// The child opens its connections, prints `ready` and waits for a line on its standard input before its
/// worker starts, so the parent can sample the idle process and time the work without process start-up.
final class WorkerProcess {
    /// The child's process id.
    let pid: Int32
    /// When the process was started.
    let launched: ContinuousClock.Instant
    private let process: Process
    private let input: Pipe
    private let output: Pipe
    /// How long the last ``stop(timeout:)`` took.
    private(set) var stopDuration: Duration = .zero

    /// Where the child writes its broker call counts when it exits.
    let statsPath: String

    /// Starts worker number `index`.
    init(options: WorkerOptions, index: Int) throws {
        let process = Process()
        let statsPath = options.database + ".worker-\(index)-\(UUID().uuidString.prefix(8)).json"
        process.executableURL = URL(fileURLWithPath: Self.executablePath)
        process.arguments = options.arguments(index: index, statsPath: statsPath)
        self.statsPath = statsPath
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        launched = .now
        try process.run()
        self.process = process
        self.input = input
        self.output = output
        self.pid = process.processIdentifier
    }

    /// Starts `count` workers and waits until each has printed `ready`.
    /// - Returns: the workers and how long the slowest took from launch to ready.
    static func launch(_ count: Int, options: WorkerOptions) async throws -> (workers: [WorkerProcess], startup: Duration) {
        var workers: [WorkerProcess] = []
        do {
            for index in 0..<count { workers.append(try WorkerProcess(options: options, index: index)) }
            var startup = Duration.zero
            for worker in workers {
                try await worker.waitUntilReady()
                startup = max(startup, ContinuousClock.now - worker.launched)
            }
            return (workers, startup)
        } catch {
            for worker in workers { _ = await worker.stop() }
            throw error
        }
    }

    /// Waits for the child's `ready` line.
    /// - Throws: ``BenchError`` when the child exits or prints something else.
    func waitUntilReady() async throws {
        let line = await LineIO.readLine(from: output.fileHandleForReading.fileDescriptor)
        guard line == "ready" else {
            throw BenchError("worker process \(pid) did not start (it said \(line.map { "'\($0)'" } ?? "nothing"))")
        }
    }

    /// Lets the child's worker start.
    func go() {
        LineIO.writeLine("go", to: input.fileHandleForWriting.fileDescriptor)
    }

    /// The child's resident set size in bytes (0 when unreadable).
    var residentBytes: Int { ProcessStats.residentBytes(pid: pid) ?? 0 }

    /// The child's CPU time so far, in seconds.
    var cpuSeconds: Double { ProcessStats.cpuSeconds(pid: pid) ?? 0 }

    /// The bytes the child has passed to write calls so far (`wchar` of `/proc/<pid>/io`).
    var writtenBytes: Int { ProcessStats.writtenBytes(pid: pid) ?? 0 }

    /// The broker call counts the child wrote at exit (after ``stop(timeout:)``), or `nil`.
    var brokerCounts: CountingBroker.Counts? {
        guard let data = FileManager.default.contents(atPath: statsPath) else { return nil }
        return try? JSONDecoder().decode(CountingBroker.Counts.self, from: data)
    }

    /// Sends SIGTERM (Celery's warm shutdown) and waits for the exit; SIGKILL after `timeout`.
    /// - Returns: the exit status (the signal number when killed).
    func stop(timeout: Duration = .seconds(15)) async -> Int32 {
        let started = ContinuousClock.now
        defer { stopDuration = ContinuousClock.now - started }
        if process.isRunning { process.terminate() }
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now >= deadline {
                kill(pid, SIGKILL)
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        try? input.fileHandleForWriting.close()
        return process.terminationStatus
    }

    /// Stops every worker.
    /// - Throws: ``BenchError`` when one did not exit cleanly.
    static func stopAll(_ workers: [WorkerProcess]) async throws {
        var failures: [String] = []
        for worker in workers {
            let status = await worker.stop()
            if status != 0 { failures.append("worker \(worker.pid) exited with status \(status)") }
        }
        if !failures.isEmpty { throw BenchError(failures.joined(separator: "; ")) }
    }

    /// The path of this executable (`/proc/self/exe` resolved, else `argv[0]`).
    static let executablePath: String = {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return resolved }
        return CommandLine.arguments[0]
    }()
}

/// A benchmark that could not run or whose check failed.
struct BenchError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

extension WorkerProcess {
    /// Opens a producer with results on a fresh database in `directory` and starts one worker process that
    /// stores results, released to run: the set-up of the end-to-end and round-trip benchmarks.
    static func launchWithResults(
        in directory: BenchDirectory, name: String, concurrency: Int, acksLate: Bool
    ) async throws -> (connections: BenchConnections, workers: [WorkerProcess]) {
        let path = directory.database(name)
        let connections = try await BenchConnections.open(path: path, results: true)
        var options = WorkerOptions(database: path)
        options.concurrency = concurrency
        options.acksLate = acksLate
        options.results = true
        let workers: [WorkerProcess]
        do {
            workers = try await WorkerProcess.launch(1, options: options).workers
        } catch {
            await connections.close()
            throw error
        }
        for worker in workers { worker.go() }
        return (connections, workers)
    }
}
