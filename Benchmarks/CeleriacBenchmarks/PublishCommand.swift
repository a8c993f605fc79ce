import ArgumentParser
import Celeriac
import Foundation

/// `publish`: how fast a producer puts `tasks.noop` messages (ignore_result) on the SQLite broker.
struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish", abstract: "Publish rate: sequential sends, concurrent producers, and batches.")

    @Option(name: [.customShort("n"), .long], help: "Messages per case.")
    var count = 20_000

    @Option(help: "Concurrent producer tasks for the concurrent case.")
    var producers = 8

    @Option(help: "Messages per publish(batch:) call for the batch case.")
    var batch = 100

    @Option(name: .customLong("case"), help: "Run only these cases (build, sequential, concurrent, batch); all by default.")
    var cases: [Case] = []

    @Flag(help: "Print the table as Markdown.")
    var markdown = false

    /// The measured cases.
    enum Case: String, ExpressibleByArgument, CaseIterable, Sendable {
        case build, sequential, concurrent, batch
    }

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive") }
        guard producers > 0 else { throw ValidationError("--producers must be positive") }
        guard batch > 0 else { throw ValidationError("--batch must be positive") }
    }

    func run() async throws {
        let results = try await Self.measure(count: count, producers: producers, batchSize: batch, cases: cases.isEmpty ? Case.allCases : cases)
        print(Self.table(results).render(markdown: markdown))
        print("\n" + (try await Self.envelopeNote()))
    }

    /// One measured case.
    struct Result: Sendable {
        var name: String
        var count: Int
        var elapsed: Duration
        /// This process's CPU time during the case.
        var cpuSeconds: Double
        var rate: Double { Double(count) / max(elapsed.seconds, 1e-9) }
    }

    /// Runs the cases, each on a fresh database: sequential `send`, `producers` concurrent producers,
    /// `publish(batch:)` batches, and (for reference) building the messages without publishing them.
    static func measure(count: Int, producers: Int, batchSize: Int, cases: [Case] = Case.allCases) async throws -> [Result] {
        let directory = try BenchDirectory()
        defer { directory.remove() }
        var results: [Result] = []
        let options = CallOptions(ignoreResult: true)

        if cases.contains(.build) { results.append(try await timed("build only: makeMessage + envelopeBytes (no broker)", count: count, directory: directory) { connections in
            var bytes = 0
            for _ in 0..<count {
                let (message, _) = connections.app.makeMessage(name: BenchTasks.noop.name, args: [], kwargs: [:], options: options)
                bytes &+= message.envelopeBytes().count
            }
            guard bytes > 0 else { throw BenchError("makeMessage built empty envelopes") }
            return 0
        }) }
        if cases.contains(.sequential) { results.append(try await timed("send, 1 producer, each awaited", count: count, directory: directory) { connections in
            for _ in 0..<count {
                _ = try await connections.app.send(name: BenchTasks.noop.name, options: options)
            }
            return count
        }) }
        if cases.contains(.concurrent) { results.append(try await timed("send, \(producers) concurrent producers", count: count, directory: directory) { connections in
            let app = connections.app
            try await withThrowingTaskGroup(of: Void.self) { group in
                for producer in 0..<producers {
                    let share = count / producers + (producer < count % producers ? 1 : 0)
                    group.addTask {
                        for _ in 0..<share { _ = try await app.send(name: BenchTasks.noop.name, options: options) }
                    }
                }
                try await group.waitForAll()
            }
            return count
        }) }
        if cases.contains(.batch) { results.append(try await timed("publish(batch:) of \(batchSize), makeMessage", count: count, directory: directory) { connections in
            try await connections.publishNoops(count: count, batchSize: batchSize)
            return count
        }) }
        return results
    }

    /// Runs one case on a fresh database and checks the queue holds what it published.
    /// - Parameter body: publishes and returns how many messages the queue should hold.
    private static func timed(
        _ name: String, count: Int, directory: BenchDirectory, _ body: (BenchConnections) async throws -> Int
    ) async throws -> Result {
        let connections = try await BenchConnections.open(path: directory.database("publish-\(UUID().uuidString.prefix(6))"), results: false)
        let cpu = ProcessStats.ownCPUSeconds()
        let started = ContinuousClock.now
        let expected: Int
        do {
            expected = try await body(connections)
        } catch {
            await connections.close()
            throw error
        }
        let elapsed = ContinuousClock.now - started
        let cpuSeconds = ProcessStats.ownCPUSeconds() - cpu
        let depth = try await connections.depth()
        await connections.close()
        guard depth.ready == expected else {
            throw BenchError("\(name): the queue holds \(depth.ready) messages, expected \(expected)")
        }
        return Result(name: name, count: count, elapsed: elapsed, cpuSeconds: cpuSeconds)
    }

    /// The size of a `tasks.noop` envelope, as a sentence.
    static func envelopeNote() async throws -> String {
        let directory = try BenchDirectory()
        defer { directory.remove() }
        let connections = try await BenchConnections.open(path: directory.database("envelope"), results: false)
        let (message, _) = connections.app.makeMessage(name: BenchTasks.noop.name, args: [], kwargs: [:], options: CallOptions(ignoreResult: true))
        let size = message.envelopeBytes().count
        await connections.close()
        return "A tasks.noop envelope is \(size) bytes (kombu JSON envelope, body base64-encoded)."
    }

    /// The results as a table.
    static func table(_ results: [Result]) -> ReportTable {
        var table = ReportTable(columns: ["publish tasks.noop (ignore_result)", "messages", "seconds", "msgs/s", "producer CPU µs/msg"])
        for result in results {
            table.add([
                result.name, BenchFormat.integer(result.count), BenchFormat.decimal(result.elapsed.seconds, 3), BenchFormat.rate(result.rate),
                BenchFormat.decimal(result.cpuSeconds / Double(result.count) * 1e6, 1),
            ])
        }
        return table
    }
}
