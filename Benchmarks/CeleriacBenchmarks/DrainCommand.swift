import ArgumentParser
import Celeriac
import Foundation

/// `drain`: how fast worker processes empty a queue of pre-published `tasks.noop` messages, and how much
/// memory they use idle and under load.
struct DrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain", abstract: "Drain rate of pre-published noop messages by worker processes, with their RSS.")

    @Option(name: [.customShort("n"), .long], help: "Messages to drain.")
    var count = 20_000

    @Flag(name: .customLong("acks-late"), help: "task_acks_late on.")
    var acksLate = false

    @Option(help: "Worker processes (1 or 2).")
    var processes = 1

    @Option(name: [.customShort("c"), .long], help: "Tasks run at once per process.")
    var concurrency = 8

    @Option(name: .customLong("prefetch-multiplier"), help: "Celery's worker_prefetch_multiplier.")
    var prefetchMultiplier = 4

    @Option(name: .customLong("poll-ms"), help: "How often the queue depth is checked, in milliseconds.")
    var pollMilliseconds = 5

    @Flag(help: "Print the table as Markdown.")
    var markdown = false

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive") }
        guard (1...16).contains(processes) else { throw ValidationError("--processes must be between 1 and 16") }
        guard concurrency > 0 else { throw ValidationError("--concurrency must be positive") }
        guard prefetchMultiplier >= 0 else { throw ValidationError("--prefetch-multiplier must be 0 or more") }
        guard pollMilliseconds > 0 else { throw ValidationError("--poll-ms must be positive") }
    }

    func run() async throws {
        let settings = Settings(
            count: count, acksLate: acksLate, processes: processes, concurrency: concurrency, prefetchMultiplier: prefetchMultiplier,
            poll: .milliseconds(pollMilliseconds))
        let result = try await Self.measure(settings)
        print(Self.table([result]).render(markdown: markdown))
        print()
        print(Self.diagnosticsTable([result]).render(markdown: markdown))
    }

    /// What to measure.
    struct Settings: Sendable {
        var count: Int
        var acksLate: Bool
        var processes: Int
        var concurrency: Int
        var prefetchMultiplier: Int
        var poll: Duration = .milliseconds(5)
    }

    /// One measured drain.
    struct Result: Sendable {
        var settings: Settings
        /// From the `go` to the last ack seen.
        var elapsed: Duration
        /// From process launch to `ready` (the slowest worker).
        var startup: Duration
        /// Each worker's RSS after running one second on an empty queue.
        var idleRSS: [Int]
        /// Each worker's peak RSS while draining.
        var peakRSS: [Int]
        /// The workers' CPU time while draining, summed.
        var workerCPUSeconds: Double
        /// The benchmark process's own CPU time while draining (publishing is before; this is polling).
        var pollerCPUSeconds: Double
        /// From SIGTERM to exit after the drain (the slowest worker): the warm shutdown of an idle worker.
        var shutdown: Duration
        /// Bytes the workers passed to write calls while draining (SQLite WAL and checkpoints).
        var writtenBytes: Int
        /// The workers' receive and ack calls, summed.
        var brokerCounts: CountingBroker.Counts
        /// Queue depth polls and the time they took.
        var polls: Int
        var pollSeconds: Double
        var rate: Double { Double(settings.count) / max(elapsed.seconds, 1e-9) }
    }

    /// Measures idle RSS with workers on an empty queue, then publishes `count` noops, starts fresh workers
    /// and times them until every message is acked.
    static func measure(_ settings: Settings) async throws -> Result {
        let directory = try BenchDirectory()
        defer { directory.remove() }
        let path = directory.database("drain")
        let connections = try await BenchConnections.open(path: path, results: false)
        do {
            let result = try await measure(settings, connections: connections, path: path)
            await connections.close()
            return result
        } catch {
            await connections.close()
            throw error
        }
    }

    private static func measure(_ settings: Settings, connections: BenchConnections, path: String) async throws -> Result {
        var options = WorkerOptions(database: path)
        options.concurrency = settings.concurrency
        options.prefetchMultiplier = settings.prefetchMultiplier
        options.acksLate = settings.acksLate

        // Idle: workers running on an empty queue for a second.
        let idleRSS = try await idleResidentBytes(processes: settings.processes, options: options)

        try await connections.publishNoops(count: settings.count, batchSize: 100)
        let published = try await connections.depth()
        guard published.ready == settings.count else {
            throw BenchError("published \(settings.count) messages but the queue holds \(published.ready)")
        }

        let (workers, startup) = try await WorkerProcess.launch(settings.processes, options: options)
        let sampler = RSSSampler(pids: workers.map(\.pid))
        let cpuBefore = workers.map(\.cpuSeconds)
        let writtenBefore = workers.map(\.writtenBytes)
        let ownCPUBefore = ProcessStats.ownCPUSeconds()
        let sampling = Task { await sampler.run(every: .milliseconds(50)) }
        let started = ContinuousClock.now
        for worker in workers { worker.go() }
        let drained: Drained
        do {
            drained = try await waitUntilDrained(connections, started: started, poll: settings.poll, timeout: .seconds(600))
        } catch {
            sampling.cancel()
            _ = try? await WorkerProcess.stopAll(workers)
            throw error
        }
        let ownCPU = ProcessStats.ownCPUSeconds() - ownCPUBefore
        let workerCPU = zip(workers, cpuBefore).reduce(0.0) { $0 + ($1.0.cpuSeconds - $1.1) }
        let written = zip(workers, writtenBefore).reduce(0) { $0 + ($1.0.writtenBytes - $1.1) }
        sampling.cancel()
        await sampling.value
        try await WorkerProcess.stopAll(workers)
        var counts = CountingBroker.Counts()
        for case let worker? in workers.map(\.brokerCounts) {
            counts.receiveCalls += worker.receiveCalls
            counts.receivedMessages += worker.receivedMessages
            counts.receiveSeconds += worker.receiveSeconds
            counts.ackCalls += worker.ackCalls
            counts.ackedMessages += worker.ackedMessages
            counts.ackSeconds += worker.ackSeconds
        }
        return Result(
            settings: settings, elapsed: drained.elapsed, startup: startup, idleRSS: idleRSS, peakRSS: sampler.peakBytes,
            workerCPUSeconds: workerCPU, pollerCPUSeconds: ownCPU, shutdown: workers.map(\.stopDuration).max() ?? .zero,
            writtenBytes: written, brokerCounts: counts, polls: drained.polls, pollSeconds: drained.pollSeconds)
    }

    /// Starts workers on the (empty) queue, lets them run for a second and returns each one's RSS.
    static func idleResidentBytes(processes: Int, options: WorkerOptions) async throws -> [Int] {
        let (workers, _) = try await WorkerProcess.launch(processes, options: options)
        for worker in workers { worker.go() }
        try await Task.sleep(for: .seconds(1))
        let sampler = RSSSampler(pids: workers.map(\.pid))
        for _ in 0..<5 {
            sampler.sample()
            try await Task.sleep(for: .milliseconds(50))
        }
        try await WorkerProcess.stopAll(workers)
        return sampler.peakBytes
    }

    /// The end of a drain as the poller saw it.
    struct Drained: Sendable {
        /// From the start to the poll that saw the queue empty.
        var elapsed: Duration
        var polls: Int
        /// Time spent inside `queueDepths()`.
        var pollSeconds: Double
    }

    /// Polls the queue depth until nothing is ready or unacked.
    static func waitUntilDrained(_ connections: BenchConnections, started: ContinuousClock.Instant, poll: Duration, timeout: Duration) async throws -> Drained {
        var polls = 0
        var pollSeconds = 0.0
        while true {
            let before = ContinuousClock.now
            let depth = try await connections.depth()
            let now = ContinuousClock.now
            polls += 1
            pollSeconds += (now - before).seconds
            if depth.ready == 0 && depth.unacked == 0 { return Drained(elapsed: now - started, polls: polls, pollSeconds: pollSeconds) }
            if now - started > timeout {
                throw BenchError("the queue still holds \(depth.ready) ready and \(depth.unacked) unacked messages after \(timeout)")
            }
            try await Task.sleep(for: poll)
        }
    }

    /// The results as a table.
    static func table(_ results: [Result]) -> ReportTable {
        var table = ReportTable(columns: [
            "drain tasks.noop", "messages", "seconds", "tasks/s", "worker CPU µs/task", "idle RSS/proc", "peak RSS/proc",
        ])
        for result in results {
            let settings = result.settings
            table.add([
                name(settings), BenchFormat.integer(settings.count), BenchFormat.decimal(result.elapsed.seconds, 3), BenchFormat.rate(result.rate),
                BenchFormat.decimal(result.workerCPUSeconds / Double(settings.count) * 1e6, 1),
                BenchFormat.megabytes(result.idleRSS.max() ?? 0), BenchFormat.megabytes(result.peakRSS.max() ?? 0),
            ])
        }
        return table
    }

    /// Where the drain's time went: broker round trips, bytes written, the poller's share, start and stop.
    static func diagnosticsTable(_ results: [Result]) -> ReportTable {
        var table = ReportTable(columns: [
            "drain diagnostics", "msgs/receive", "receive µs/call", "tags/ack", "ack µs/call", "written KB/task", "poll ms/call",
            "poller CPU", "start-up ms", "stop ms",
        ])
        for result in results {
            let counts = result.brokerCounts
            let count = Double(result.settings.count)
            table.add([
                name(result.settings),
                BenchFormat.decimal(Double(counts.receivedMessages) / Double(max(1, counts.receiveCalls)), 1),
                BenchFormat.decimal(counts.receiveSeconds / Double(max(1, counts.receiveCalls)) * 1e6, 0),
                BenchFormat.decimal(Double(counts.ackedMessages) / Double(max(1, counts.ackCalls)), 1),
                BenchFormat.decimal(counts.ackSeconds / Double(max(1, counts.ackCalls)) * 1e6, 0),
                BenchFormat.decimal(Double(result.writtenBytes) / count / 1024, 1),
                BenchFormat.decimal(result.pollSeconds / Double(max(1, result.polls)) * 1000, 2),
                BenchFormat.decimal(result.pollerCPUSeconds / max(result.elapsed.seconds, 1e-9) * 100, 0) + "%",
                BenchFormat.milliseconds(result.startup, 0), BenchFormat.milliseconds(result.shutdown, 0),
            ])
        }
        return table
    }

    /// A row title for `settings`.
    static func name(_ settings: Settings) -> String {
        "\(settings.processes) proc × -c \(settings.concurrency), prefetch ×\(settings.prefetchMultiplier), acks_late \(settings.acksLate ? "on" : "off")"
    }
}
