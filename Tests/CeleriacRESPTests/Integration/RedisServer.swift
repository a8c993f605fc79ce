import CeleriacTesting
import Foundation

/// The shared test server launcher (``RedisServerProcess`` in CeleriacTesting) under this suite's name.
typealias RedisServer = RedisServerProcess

/// Runs a tool (openssl) to completion.
func runTool(_ path: String, _ arguments: [String]) async throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
    guard process.terminationStatus == 0 else {
        throw TestFailure("\(path) exited with status \(process.terminationStatus)")
    }
}

/// An error a test helper throws to fail a test with a message.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
