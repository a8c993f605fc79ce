import ArgumentParser
import Celeriac
import CeleriacAMQP
import CeleriacRabbitMQ
import Foundation
import Logging
import NIOCore

/// `amqp-publish`: publish rates on RabbitMQ, as JSON lines for `Benchmarks/rabbitmq/report.py`:
/// - `raw`: a plain AMQP publisher (our `CeleriacAMQP` client, no Celery layer) sending a Celery-sized task message
///   with `--window` publishes in flight, with and without publisher confirms: what the broker allows;
/// - `celeriac`: `CeleriacApp.send` over ``RabbitMQBroker``, with and without confirms, from one producer and from
///   each number of concurrent ones in `--producers`.
///
/// Each measurement uses a fresh queue, deleted afterwards; without confirms the clock stops when RabbitMQ has
/// every message (a passive `queue.declare` counts them), not when the last frame left the client.
struct AMQPPublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "amqp-publish",
        abstract: "Publish rate on RabbitMQ: a plain AMQP publisher and the Celeriac client, with and without confirms.")

    @Option(name: [.customShort("b"), .long], help: "amqp:// URL of the broker.")
    var broker: String

    @Option(help: "Messages per measurement.")
    var count = 20000

    @Option(help: "Publishes in flight for the plain AMQP publisher.")
    var window = 512

    @Option(help: "Comma-separated numbers of concurrent producers for further Celeriac client measurements.")
    var producers = "8,64,256"

    @Option(help: "What to measure: raw, celeriac or both.")
    var mode = "both"

    func run() async throws {
        let url = broker
        if mode == "raw" || mode == "both" {
            for confirms in [false, true] { try await measureRaw(url: url, confirms: confirms) }
        }
        if mode == "celeriac" || mode == "both" {
            for confirms in [false, true] {
                try await measureClient(url: url, confirms: confirms, concurrent: 1)
                for concurrent in producers.split(separator: ",").compactMap({ Int($0) }) where concurrent > 1 {
                    try await measureClient(url: url, confirms: confirms, concurrent: concurrent)
                }
            }
        }
    }

    /// The body and headers of a `tasks.noop` message as Celery 5.7 publishes it.
    static func taskMessage(id: String) -> (body: ByteBuffer, properties: AMQPProperties) {
        var properties = AMQPProperties()
        properties.contentType = "application/json"
        properties.contentEncoding = "utf-8"
        properties.deliveryMode = 2
        properties.priority = 0
        properties.correlationID = id
        properties.headers = [
            "lang": "py", "task": "tasks.noop", "id": .string(id), "shadow": nil, "eta": nil, "expires": nil, "group": nil,
            "group_index": nil, "retries": 0, "timelimit": [nil, nil], "root_id": .string(id), "parent_id": nil, "argsrepr": "()",
            "kwargsrepr": "{}", "origin": "gen1@bench", "ignore_result": true, "replaced_task_nesting": 0, "stamped_headers": nil,
            "stamps": .table([:]),
        ]
        let body = ByteBuffer(string: #"[[], {}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]"#)
        return (body, properties)
    }

    private func measureRaw(url: String, confirms: Bool) async throws {
        let logger = Logger(label: "celeriac.bench.amqp", factory: { _ in SwiftLogNoOpLogHandler() })
        let connection = try await AMQPConnection.open(configuration: try AMQPConfiguration(url: url), logger: logger)
        let queue = "celeriac-bench-raw-\(UUID().uuidString.prefix(6))"
        let admin = try await connection.openChannel()
        try await admin.declareQueue(queue, durable: true)
        let channel = try await connection.openChannel()
        if confirms { try await channel.confirmSelect() }
        let message = Self.taskMessage(id: UUID().uuidString.lowercased())
        let total = count
        let window = max(1, self.window)
        let clock = ContinuousClock()
        let started = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for sent in 0..<total {
                if sent >= window { try await group.next() }
                group.addTask { try await channel.publish(message.body, routingKey: queue, properties: message.properties) }
            }
            try await group.waitForAll()
        }
        if !confirms {
            while try await admin.declareQueue(queue, passive: true).messageCount < total {
                try await Task.sleep(for: .milliseconds(2))
            }
        }
        let seconds = (clock.now - started).seconds
        _ = try await admin.deleteQueue(queue)
        await connection.close()
        Self.emit([
            "test": "publish", "producer": .string(confirms ? "amqp-raw-confirms" : "amqp-raw"), "kind": "amqp-raw",
            "confirms": .bool(confirms), "window": .int(window), "n": .int(total), "seconds": .double(seconds),
            "rate": .double(Double(total) / seconds),
        ])
    }

    private func measureClient(url: String, confirms: Bool, concurrent: Int) async throws {
        let logger = Logger(label: "celeriac.bench.amqp", factory: { _ in SwiftLogNoOpLogHandler() })
        let broker = try RabbitMQBroker(url: url, configuration: RabbitMQBroker.Configuration(publisherConfirms: confirms))
        let app = CeleriacApp(broker: broker, backend: nil, logger: logger)
        let queue = "celeriac-bench-client-\(UUID().uuidString.prefix(6))"
        var callOptions = CallOptions(queue: queue)
        callOptions.ignoreResult = true
        let options = callOptions
        for _ in 0..<200 { _ = try await app.send(name: "tasks.noop", options: options) }  // warm-up, declares the queue
        let perProducer = count / concurrent
        let clock = ContinuousClock()
        let started = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrent {
                group.addTask {
                    for _ in 0..<perProducer { _ = try await app.send(name: "tasks.noop", options: options) }
                }
            }
            try await group.waitForAll()
        }
        let sent = perProducer * concurrent
        if !confirms {
            let connection = try await AMQPConnection.open(configuration: try AMQPConfiguration(url: url), logger: logger)
            let channel = try await connection.openChannel()
            while try await channel.declareQueue(queue, durable: true, passive: true).messageCount < sent + 200 {
                try await Task.sleep(for: .milliseconds(2))
            }
            await connection.close()
        }
        let seconds = (clock.now - started).seconds
        _ = try await broker.purge(queue: queue)
        await broker.close()
        let label = (concurrent == 1 ? "swift-client" : "swift-client-x\(concurrent)") + (confirms ? "-confirms" : "")
        Self.emit([
            "test": "publish", "producer": .string(label), "kind": .string(label), "confirms": .bool(confirms), "n": .int(sent),
            "seconds": .double(seconds), "rate": .double(Double(sent) / seconds),
        ])
    }

    private static func emit(_ object: JSONObject) {
        print(JSONValue.object(object).serialized(.compact))
    }
}
