import ArgumentParser
import Celeriac
import Foundation

/// `e2e`: `tasks.add` with results stored, from the first send to the last result read back, against one
/// worker process.
struct EndToEndCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "e2e", abstract: "End to end: send N tasks.add, then read every result back (one worker process).")

    @Option(name: [.customShort("n"), .long], help: "Tasks to send.")
    var count = 10_000

    @Option(name: [.customShort("c"), .long], help: "Worker concurrency.")
    var concurrency = 8

    @Flag(name: .customLong("acks-late"), help: "task_acks_late on.")
    var acksLate = false

    @Flag(help: "Print the table as Markdown.")
    var markdown = false

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive") }
        guard concurrency > 0 else { throw ValidationError("--concurrency must be positive") }
    }

    func run() async throws {
        let result = try await Self.measure(count: count, concurrency: concurrency, acksLate: acksLate)
        print(Self.table([result]).render(markdown: markdown))
    }

    /// One measured run.
    struct Result: Sendable {
        var count: Int
        var concurrency: Int
        var acksLate: Bool
        /// From the first send to the last send.
        var sending: Duration
        /// From the first send to the last result read.
        var total: Duration
        var workerCPUSeconds: Double
        var producerCPUSeconds: Double
        var peakRSS: Int
        /// The worker's receive and ack calls.
        var brokerCounts: CountingBroker.Counts
        var rate: Double { Double(count) / max(total.seconds, 1e-9) }
    }

    /// Starts one worker with results, sends `count` `tasks.add(i, 1)` then waits for each result in order.
    static func measure(count: Int, concurrency: Int, acksLate: Bool) async throws -> Result {
        let directory = try BenchDirectory()
        defer { directory.remove() }
        let (connections, workers) = try await WorkerProcess.launchWithResults(in: directory, name: "e2e", concurrency: concurrency, acksLate: acksLate)
        // Let the worker reach its receive loop, so start-up is not timed.
        try? await Task.sleep(for: .milliseconds(200))
        let sampler = RSSSampler(pids: workers.map(\.pid))
        let sampling = Task { await sampler.run(every: .milliseconds(50)) }
        let workerCPU = workers.map(\.cpuSeconds)
        let ownCPU = ProcessStats.ownCPUSeconds()
        do {
            let app = connections.app
            let started = ContinuousClock.now
            var sent: [(AsyncResult<Int>, Int)] = []
            sent.reserveCapacity(count)
            for index in 0..<count {
                sent.append((try await app.delay(BenchTasks.add, BenchTasks.Pair(x: index, y: 1)), index + 1))
            }
            let sending = ContinuousClock.now - started
            for (result, expected) in sent {
                let value = try await result.get(timeout: .seconds(120))
                guard value == expected else { throw BenchError("task \(result.id) returned \(value), expected \(expected)") }
            }
            let total = ContinuousClock.now - started
            let producerCPU = ProcessStats.ownCPUSeconds() - ownCPU
            let workerSeconds = zip(workers, workerCPU).reduce(0.0) { $0 + ($1.0.cpuSeconds - $1.1) }
            sampling.cancel()
            await sampling.value
            try await WorkerProcess.stopAll(workers)
            await connections.close()
            return Result(
                count: count, concurrency: concurrency, acksLate: acksLate, sending: sending, total: total, workerCPUSeconds: workerSeconds,
                producerCPUSeconds: producerCPU, peakRSS: sampler.peakBytes.max() ?? 0,
                brokerCounts: workers.first?.brokerCounts ?? CountingBroker.Counts())
        } catch {
            sampling.cancel()
            _ = try? await WorkerProcess.stopAll(workers)
            await connections.close()
            throw error
        }
    }

    /// The results as a table.
    static func table(_ results: [Result]) -> ReportTable {
        var table = ReportTable(columns: [
            "end to end tasks.add + results", "tasks", "send s", "total s", "tasks/s", "worker CPU µs/task", "producer CPU µs/task", "worker peak RSS", "msgs/receive", "tags/ack",
        ])
        for result in results {
            table.add([
                "1 proc × -c \(result.concurrency), acks_late \(result.acksLate ? "on" : "off")", BenchFormat.integer(result.count),
                BenchFormat.decimal(result.sending.seconds, 3), BenchFormat.decimal(result.total.seconds, 3), BenchFormat.rate(result.rate),
                BenchFormat.decimal(result.workerCPUSeconds / Double(result.count) * 1e6, 1),
                BenchFormat.decimal(result.producerCPUSeconds / Double(result.count) * 1e6, 1), BenchFormat.megabytes(result.peakRSS),
                BenchFormat.decimal(Double(result.brokerCounts.receivedMessages) / Double(max(1, result.brokerCounts.receiveCalls)), 1),
                BenchFormat.decimal(Double(result.brokerCounts.ackedMessages) / Double(max(1, result.brokerCounts.ackCalls)), 1),
            ])
        }
        return table
    }
}
