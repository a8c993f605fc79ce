import ArgumentParser
import Foundation

/// `all`: every benchmark with sensible defaults, printed as Markdown tables on standard output.
struct AllCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all", abstract: "Run every benchmark (drain with acks_late off and on, 1 and 2 processes) and print Markdown.")

    @Option(name: .customLong("publish-n"), help: "Messages per publish case.")
    var publishCount = 20_000

    @Option(name: .customLong("drain-n"), help: "Messages per drain.")
    var drainCount = 20_000

    @Option(name: .customLong("e2e-n"), help: "Tasks for the end-to-end run.")
    var endToEndCount = 10_000

    @Option(name: .customLong("roundtrip-n"), help: "Measured round trips.")
    var roundTripCount = 2000

    @Option(name: [.customShort("c"), .long], help: "Worker concurrency per process.")
    var concurrency = 8

    @Option(help: "Runs of each benchmark; the tables show the run with the median result.")
    var runs = 1

    func validate() throws {
        guard [publishCount, drainCount, endToEndCount, roundTripCount, concurrency, runs].allSatisfy({ $0 > 0 }) else {
            throw ValidationError("counts, --concurrency and --runs must be positive")
        }
    }

    func run() async throws {
        Self.progress("machine: \(MachineFacts.summary)")
        Self.progress("publish: \(publishCount) messages per case...")
        var publishRuns: [[PublishCommand.Result]] = []
        for _ in 0..<max(1, runs) {
            publishRuns.append(try await PublishCommand.measure(count: publishCount, producers: 8, batchSize: 100))
        }
        let publish = (publishRuns.first ?? []).indices.map { index in
            Self.median(publishRuns.map { $0[index] }, by: \.rate)
        }

        var drains: [DrainCommand.Result] = []
        var drainRates: [[Double]] = []
        // Celery's defaults (prefetch ×4), acks_late off and on, one and two processes; then one row with a
        // bigger prefetch window, to show what larger receive and ack batches do.
        let cases = [(1, false, 4), (1, true, 4), (2, false, 4), (2, true, 4), (1, true, 64)]
        for (processes, acksLate, prefetch) in cases {
            Self.progress("drain: \(drainCount) messages, \(processes) process(es), acks_late \(acksLate ? "on" : "off"), prefetch ×\(prefetch)...")
            let settings = DrainCommand.Settings(
                count: drainCount, acksLate: acksLate, processes: processes, concurrency: concurrency, prefetchMultiplier: prefetch)
            var results: [DrainCommand.Result] = []
            for _ in 0..<max(1, runs) { results.append(try await DrainCommand.measure(settings)) }
            drains.append(Self.median(results, by: \.rate))
            drainRates.append(results.map(\.rate))
        }

        Self.progress("e2e: \(endToEndCount) tasks.add with results...")
        var endToEndRuns: [EndToEndCommand.Result] = []
        for _ in 0..<max(1, runs) {
            endToEndRuns.append(try await EndToEndCommand.measure(count: endToEndCount, concurrency: concurrency, acksLate: false))
        }
        let endToEnd = Self.median(endToEndRuns, by: \.rate)

        Self.progress("roundtrip: \(roundTripCount) sequential calls...")
        var roundTripRuns: [RoundTripCommand.Result] = []
        for _ in 0..<max(1, runs) {
            roundTripRuns.append(try await RoundTripCommand.measure(count: roundTripCount, warmup: 100, concurrency: concurrency, acksLate: false))
        }
        let roundTrip = Self.median(roundTripRuns, by: \.p50Seconds)
        Self.progress("roundtrip split: \(roundTripCount) sequential bench.stamp calls...")
        let split = try await RoundTripCommand.measureSplit(count: roundTripCount, warmup: 100, concurrency: concurrency, acksLate: false)

        print("Machine: \(MachineFacts.summary)\n")
        if runs > 1 {
            print("Each row is the run with the median result of \(runs) runs (rate, or p50 for the round trip).")
            print("Drain tasks/s of every run: " + drainRates.map { $0.map(BenchFormat.rate).joined(separator: " / ") }.joined(separator: "; ") + "\n")
        }
        print(PublishCommand.table(publish).render(markdown: true) + "\n")
        print(try await PublishCommand.envelopeNote() + "\n")
        print(DrainCommand.table(drains).render(markdown: true) + "\n")
        print(DrainCommand.diagnosticsTable(drains).render(markdown: true) + "\n")
        print(EndToEndCommand.table([endToEnd]).render(markdown: true) + "\n")
        print(RoundTripCommand.table([roundTrip]).render(markdown: true) + "\n")
        print(RoundTripCommand.splitTable(split).render(markdown: true))
    }

    /// The element with the median `key` (the upper median for an even count).
    static func median<T>(_ results: [T], by key: KeyPath<T, Double>) -> T {
        let sorted = results.sorted { $0[keyPath: key] < $1[keyPath: key] }
        return sorted[sorted.count / 2]
    }

    /// Writes a progress line on standard error.
    static func progress(_ text: String) {
        FileHandle.standardError.write(Data(("celeriac-bench: " + text + "\n").utf8))
    }
}
