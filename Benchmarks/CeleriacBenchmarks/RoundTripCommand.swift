import ArgumentParser
import Celeriac
import Foundation

/// `roundtrip`: latency of sequential `add.delay(...).get()` against one worker process.
struct RoundTripCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roundtrip", abstract: "Round-trip latency of sequential add.delay().get() (one worker process).")

    @Option(name: [.customShort("n"), .long], help: "Measured round trips.")
    var count = 2000

    @Option(help: "Round trips before measuring.")
    var warmup = 100

    @Option(name: [.customShort("c"), .long], help: "Worker concurrency.")
    var concurrency = 8

    @Flag(name: .customLong("acks-late"), help: "task_acks_late on.")
    var acksLate = false

    @Flag(help: "Also split each round trip into send → task start and task start → result read (with bench.stamp).")
    var split = false

    @Flag(help: "Print the table as Markdown.")
    var markdown = false

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive") }
        guard warmup >= 0 else { throw ValidationError("--warmup must be 0 or more") }
        guard concurrency > 0 else { throw ValidationError("--concurrency must be positive") }
    }

    func run() async throws {
        let result = try await Self.measure(count: count, warmup: warmup, concurrency: concurrency, acksLate: acksLate)
        print(Self.table([result]).render(markdown: markdown))
        if split {
            let halves = try await Self.measureSplit(count: count, warmup: warmup, concurrency: concurrency, acksLate: acksLate)
            print()
            print(Self.splitTable(halves).render(markdown: markdown))
        }
    }

    /// One measured run.
    struct Result: Sendable {
        var concurrency: Int
        var acksLate: Bool
        var latencies: Percentiles
        var elapsed: Duration
        /// The median latency in seconds.
        var p50Seconds: Double { latencies.value(at: 0.5).seconds }
    }

    /// Starts one worker with results and times `count` sequential calls after `warmup` unmeasured ones.
    static func measure(count: Int, warmup: Int, concurrency: Int, acksLate: Bool) async throws -> Result {
        let directory = try BenchDirectory()
        defer { directory.remove() }
        let (connections, workers) = try await WorkerProcess.launchWithResults(in: directory, name: "roundtrip", concurrency: concurrency, acksLate: acksLate)
        do {
            let app = connections.app
            var samples: [Duration] = []
            samples.reserveCapacity(count)
            let clock = ContinuousClock()
            var measuredStart = clock.now
            for index in 0..<(warmup + count) {
                if index == warmup { measuredStart = clock.now }
                let started = clock.now
                let value = try await app.delay(BenchTasks.add, BenchTasks.Pair(x: index, y: 1)).get(timeout: .seconds(10))
                let took = clock.now - started
                guard value == index + 1 else { throw BenchError("add(\(index), 1) returned \(value)") }
                if index >= warmup { samples.append(took) }
            }
            let elapsed = clock.now - measuredStart
            try await WorkerProcess.stopAll(workers)
            await connections.close()
            return Result(concurrency: concurrency, acksLate: acksLate, latencies: Percentiles(samples), elapsed: elapsed)
        } catch {
            _ = try? await WorkerProcess.stopAll(workers)
            await connections.close()
            throw error
        }
    }

    /// The two halves of sequential `bench.stamp.delay().get()` round trips.
    struct Split: Sendable {
        /// From before the send to the task's start in the worker.
        var there: Percentiles
        /// From the task's start to the result read by the producer.
        var back: Percentiles
        var total: Percentiles
    }

    /// Like ``measure(count:warmup:concurrency:acksLate:)`` with `bench.stamp`, timing each half on
    /// CLOCK_MONOTONIC, which both processes share.
    static func measureSplit(count: Int, warmup: Int, concurrency: Int, acksLate: Bool) async throws -> Split {
        let directory = try BenchDirectory()
        defer { directory.remove() }
        let (connections, workers) = try await WorkerProcess.launchWithResults(in: directory, name: "roundtrip-split", concurrency: concurrency, acksLate: acksLate)
        do {
            var there: [Duration] = []
            var back: [Duration] = []
            var total: [Duration] = []
            for index in 0..<(warmup + count) {
                let sent = BenchTasks.monotonicNanoseconds()
                let started = try await connections.app.delay(BenchTasks.stamp, NoArguments()).get(timeout: .seconds(10))
                let read = BenchTasks.monotonicNanoseconds()
                if index >= warmup {
                    there.append(.nanoseconds(started - sent))
                    back.append(.nanoseconds(read - started))
                    total.append(.nanoseconds(read - sent))
                }
            }
            try await WorkerProcess.stopAll(workers)
            await connections.close()
            return Split(there: Percentiles(there), back: Percentiles(back), total: Percentiles(total))
        } catch {
            _ = try? await WorkerProcess.stopAll(workers)
            await connections.close()
            throw error
        }
    }

    /// The split as a table.
    static func splitTable(_ split: Split) -> ReportTable {
        var table = ReportTable(columns: ["round trip halves (bench.stamp)", "calls", "p50 ms", "p90 ms", "p99 ms", "max ms", "mean ms", "> 50 ms"])
        for (name, latencies) in [("send → task starts in worker", split.there), ("task start → result read", split.back), ("whole round trip", split.total)] {
            table.add([
                name, BenchFormat.integer(latencies.count), BenchFormat.milliseconds(latencies.value(at: 0.5)),
                BenchFormat.milliseconds(latencies.value(at: 0.9)), BenchFormat.milliseconds(latencies.value(at: 0.99)),
                BenchFormat.milliseconds(latencies.max), BenchFormat.milliseconds(latencies.mean), String(latencies.count(over: .milliseconds(50))),
            ])
        }
        return table
    }

    /// The results as a table.
    static func table(_ results: [Result]) -> ReportTable {
        var table = ReportTable(columns: ["round trip add.delay().get()", "calls", "p50 ms", "p90 ms", "p99 ms", "max ms", "mean ms", "> 50 ms", "calls/s"])
        for result in results {
            let latencies = result.latencies
            table.add([
                "1 proc × -c \(result.concurrency), acks_late \(result.acksLate ? "on" : "off")", BenchFormat.integer(latencies.count),
                BenchFormat.milliseconds(latencies.value(at: 0.5)), BenchFormat.milliseconds(latencies.value(at: 0.9)),
                BenchFormat.milliseconds(latencies.value(at: 0.99)), BenchFormat.milliseconds(latencies.max),
                BenchFormat.milliseconds(latencies.mean), String(latencies.count(over: .milliseconds(50))), BenchFormat.rate(Double(latencies.count) / max(result.elapsed.seconds, 1e-9)),
            ])
        }
        return table
    }
}
