import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An error of the integration test harness itself (binary missing, process not starting).
struct IntegrationError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Where the built executables (`celeriac-example`, `celeriac`) are.
enum ExampleBinary {
    /// The example application, `celeriac-example`.
    static let example = "celeriac-example"
    /// The standalone command line, `celeriac`.
    static let cli = "celeriac"

    /// `$CELERIAC_EXAMPLE_BIN` (for `celeriac-example`) or `$CELERIAC_BIN` (for `celeriac`), else
    /// `.build/debug/<product>` in the package that holds this file.
    /// - Throws: ``IntegrationError`` saying to run `swift build` when the binary is missing.
    static func locate(_ product: String = example, filePath: String = #filePath) throws -> String {
        let files = FileManager.default
        let variable = product == example ? "CELERIAC_EXAMPLE_BIN" : "CELERIAC_BIN"
        if let path = ProcessInfo.processInfo.environment[variable], !path.isEmpty {
            guard files.isExecutableFile(atPath: path) else {
                throw IntegrationError("\(variable)=\(path) is not an executable file")
            }
            return path
        }
        var directory = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        while directory.path != "/" && !directory.path.isEmpty {
            if files.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                let path = directory.appendingPathComponent(".build/debug/\(product)").path
                guard files.isExecutableFile(atPath: path) else {
                    throw IntegrationError(
                        "\(path) is missing: the integration tests run the real executable, so run `swift build` "
                            + "(or `swift build --build-tests`) before `swift test --skip-build`, or set \(variable)")
                }
                return path
            }
            directory = directory.deletingLastPathComponent()
        }
        throw IntegrationError("no Package.swift above \(filePath): set \(variable) to the \(product) executable")
    }
}

/// A running `celeriac-example` (or `celeriac`) process whose standard output and error go to files in the sandbox
/// (files, not pipes: a chatty worker can never block on a full pipe).
final class ExampleProcess {
    /// How a process ended.
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

    /// A short name for messages ("worker-a", "call").
    let name: String
    /// The arguments after the executable.
    let arguments: [String]
    let stdoutPath: String
    let stderrPath: String
    private let process: Process

    /// Starts `<product> arguments...` (`celeriac-example` unless told) in `directory` with exactly `environment`.
    /// - Throws: ``IntegrationError`` when the binary is missing or does not start.
    init(name: String, arguments: [String], environment: [String: String], directory: String, product: String = ExampleBinary.example) throws {
        let binary = try ExampleBinary.locate(product)
        let tag = "\(name)-\(UUID().uuidString.prefix(8).lowercased())"
        self.name = name
        self.arguments = arguments
        self.stdoutPath = (directory as NSString).appendingPathComponent("\(tag).stdout")
        self.stderrPath = (directory as NSString).appendingPathComponent("\(tag).stderr")
        let files = FileManager.default
        guard files.createFile(atPath: stdoutPath, contents: nil), files.createFile(atPath: stderrPath, contents: nil) else {
            throw IntegrationError("cannot create output files in \(directory)")
        }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        let errors = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        defer {
            try? output.close()
            try? errors.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw IntegrationError("cannot start \(binary) \(arguments.joined(separator: " ")): \(error)")
        }
        self.process = process
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// How the process ended, or `nil` while it runs.
    var exit: Exit? {
        guard !process.isRunning else { return nil }
        switch process.terminationReason {
        case .exit: return .exited(process.terminationStatus)
        case .uncaughtSignal: return .signalled(process.terminationStatus)
        @unknown default: return .exited(process.terminationStatus)
        }
    }

    /// Sends `signal` (SIGTERM, SIGKILL...) while the process runs.
    func send(_ signal: Int32) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, signal)
    }

    /// Asks for a warm shutdown (SIGTERM).
    func terminate() { send(SIGTERM) }

    /// Kills at once (SIGKILL, `kill -9`): no cleanup runs in the process.
    func killNow() { send(SIGKILL) }

    /// Waits for the process to end, at most `timeout`.
    /// - Returns: how it ended, or `nil` when it still runs after `timeout`.
    func waitForExit(timeout: Duration) async -> Exit? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now >= deadline || Task.isCancelled { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return exit
    }

    /// Kills the process if it still runs and waits (a bounded time) for it to go; for `defer`.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        for _ in 0..<250 where process.isRunning { usleep(20_000) }
    }

    /// Everything written to standard output so far.
    var standardOutput: String { Self.read(stdoutPath) }
    /// Everything written to standard error so far (the worker's log).
    var standardError: String { Self.read(stderrPath) }
    /// The worker log parsed from standard error.
    var log: WorkerLog { WorkerLog(text: standardError) }

    /// The last lines of standard error, for failure messages.
    func tail(lines: Int = 30) -> String {
        let all = standardError.split(separator: "\n", omittingEmptySubsequences: false)
        return "--- \(name) (\(arguments.joined(separator: " "))) stderr, last \(lines) lines ---\n"
            + all.suffix(lines).joined(separator: "\n")
    }

    private static func read(_ path: String) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// What a one-shot command printed and how it ended.
struct CommandOutput: CustomStringConvertible {
    var arguments: [String]
    /// The executable that ran (`celeriac-example` or `celeriac`).
    var product = ExampleBinary.example
    /// `nil` when it did not finish in time (it was killed).
    var exit: ExampleProcess.Exit?
    var stdout: String
    var stderr: String

    var succeeded: Bool { exit == .exited(0) }

    /// Standard output without surrounding whitespace, split in lines.
    var lines: [String] {
        stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    var description: String {
        "\(product) \(arguments.joined(separator: " ")) -> \(exit.map { "\($0)" } ?? "timed out")\nstdout:\n\(stdout)\nstderr:\n\(stderr)"
    }
}
