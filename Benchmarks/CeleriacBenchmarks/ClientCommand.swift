import ArgumentParser
import Celeriac
import CeleriacCommands
import Foundation
import Logging

/// `client`: the Swift producer against any broker and backend URL (Redis with a Python or Swift worker):
/// publish rate and sequential `tasks.add` round trips, printed as JSON lines for `Benchmarks/redis/report.py`.
struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Publish rate and round-trip latency of the Swift client against a running worker, as JSON lines.")

    @Option(name: [.customShort("b"), .long], help: "Broker URL, e.g. redis://127.0.0.1:6379/0.")
    var broker: String

    @Option(name: .customLong("result-backend"), help: "Result backend URL (the broker's by default).")
    var resultBackend: String?

    @Option(help: "Messages for the publish measurement (nothing needs to consume them); 0 to skip.")
    var publish = 0

    @Option(help: "Concurrent producers for a second, concurrent publish measurement.")
    var producers = 8

    @Option(help: "Measured sequential add(2, 2) round trips (a worker must serve them); 0 to skip.")
    var roundtrip = 0

    @Option(help: "Round trips before measuring.")
    var warmup = 100

    @Option(name: .customLong("publish-queue"), help: "The queue of the publish measurement.")
    var publishQueue = "celeriac-bench-publish"

    @Option(help: "The queue of the round trips (the worker's).")
    var queue = "celery"

    @Option(help: "The label of the worker serving the round trips, for the report.")
    var kind = "swift"

    func run() async throws {
        var configuration = CeleriacConfiguration()
        configuration.brokerURL = broker
        configuration.resultBackend = resultBackend ?? broker
        let logger = Logger(label: "celeriac.bench.client", factory: { _ in SwiftLogNoOpLogHandler() })
        let connections = try await CeleriacConnections.open(configuration, logger: logger)
        let app = CeleriacApp(configuration: configuration, broker: connections.broker, backend: connections.backend, logger: logger)
        defer { Task { await connections.close() } }
        if publish > 0 {
            try await measurePublish(app, concurrent: 1)
            if producers > 1 { try await measurePublish(app, concurrent: producers) }
        }
        if roundtrip > 0 { try await measureRoundTrips(app) }
        await connections.close()
    }

    /// `publish` no-op messages with `ignore_result`, from `concurrent` producers at once.
    private func measurePublish(_ app: CeleriacApp, concurrent: Int) async throws {
        var callOptions = CallOptions(queue: publishQueue)
        callOptions.ignoreResult = true
        let options = callOptions
        let clock = ContinuousClock()
        let started = clock.now
        let perProducer = publish / concurrent
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrent {
                group.addTask {
                    for _ in 0..<perProducer { _ = try await app.send(name: "tasks.noop", options: options) }
                }
            }
            try await group.waitForAll()
        }
        let seconds = (clock.now - started).seconds
        let sent = perProducer * concurrent
        Self.emit([
            "test": "publish", "kind": .string(concurrent == 1 ? "swift-client" : "swift-client-x\(concurrent)"),
            "producer": .string(concurrent == 1 ? "swift" : "swift-x\(concurrent)"), "n": .int(sent),
            "seconds": .double(seconds), "rate": .double(Double(sent) / seconds),
        ])
    }

    /// Sequential `tasks.add(2, 2)` with `get()`, after `warmup` unmeasured ones.
    private func measureRoundTrips(_ app: CeleriacApp) async throws {
        let options = CallOptions(queue: queue)
        for _ in 0..<warmup { _ = try await app.send(name: "tasks.add", args: [2, 2], options: options).get(timeout: .seconds(30)) }
        let clock = ContinuousClock()
        var samples: [Duration] = []
        samples.reserveCapacity(roundtrip)
        for _ in 0..<roundtrip {
            let started = clock.now
            let value = try await app.send(name: "tasks.add", args: [2, 2], options: options).get(timeout: .seconds(30))
            samples.append(clock.now - started)
            guard value == .int(4) else { throw ValidationError("tasks.add(2, 2) returned \(value)") }
        }
        let latencies = Percentiles(samples)
        Self.emit([
            "test": "roundtrip-swift-client", "kind": .string(kind), "n": .int(roundtrip),
            "p50_ms": .double(latencies.value(at: 0.5).seconds * 1e3), "p90_ms": .double(latencies.value(at: 0.9).seconds * 1e3),
            "p99_ms": .double(latencies.value(at: 0.99).seconds * 1e3), "max_ms": .double(latencies.max.seconds * 1e3),
            "mean_ms": .double(latencies.mean.seconds * 1e3),
        ])
    }

    private static func emit(_ object: JSONObject) {
        print(JSONValue.object(object).serialized(.compact))
    }
}
