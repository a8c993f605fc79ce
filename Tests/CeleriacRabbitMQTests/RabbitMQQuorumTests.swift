import Celeriac
import CeleriacAMQP
import CeleriacRabbitMQ
import CeleriacTesting
import Foundation
import Testing

/// Quorum queues with Celery 5.5+'s native delayed delivery, and a classic priority queue, against a real
/// RabbitMQ and real Python Celery 5.7.
@Suite("Quorum queues and native delayed delivery", .timeLimit(.minutes(6)))
struct RabbitMQQuorumTests {
    static func quorum() -> RabbitMQBroker.Configuration {
        RabbitMQBroker.Configuration(queueType: .quorum, exchangeType: "topic")
    }

    /// The ready messages of a queue, from a passive `queue.declare` (rabbitmqctl's counts of quorum queues lag).
    static func messages(in queue: String, _ server: RabbitMQServerProcess) async throws -> Int {
        let connection = try await AMQPConnection.open(configuration: try AMQPConfiguration(url: server.url), logger: RabbitMQTestSupport.quiet)
        defer { Task { await connection.close() } }
        let channel = try await connection.openChannel()
        return Int(try await channel.declareQueue(queue, passive: true).messageCount)
    }

    @Test func theDelayRoutingKeyIsKombus() throws {
        // vectors-amqp/31-quorum-countdown-native-delayed.txt: countdown=3 to queue qq.
        #expect(NativeDelayedDelivery.routingKey(countdown: 3, routingKey: "qq") == "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.1.qq")
        let year = try #require(NativeDelayedDelivery.routingKey(countdown: 31_536_000, routingKey: "a.b"))
        #expect(year == String(31_536_000, radix: 2).leftPadded(to: 28).map(String.init).joined(separator: ".") + ".a.b")
        // A retried message's key loses its old delay prefix (kombu strips it too).
        #expect(NativeDelayedDelivery.routingKey(countdown: 1, routingKey: year) == String(repeating: "0.", count: 27) + "1.a.b")
        #expect(NativeDelayedDelivery.routingKey(countdown: 0, routingKey: "q") == nil)
        #expect(NativeDelayedDelivery.routingKey(countdown: 1 << 28, routingKey: "q") == nil)
        let top = NativeDelayedDelivery.queueArguments(level: 27, queueType: .quorum)
        #expect(top["x-message-ttl"] == .uint64(134_217_728_000))  // py-amqp's `L`
        #expect(top["x-dead-letter-exchange"] == "celery_delayed_26")
        #expect(top["x-dead-letter-strategy"] == "at-least-once")
        let bottom = NativeDelayedDelivery.queueArguments(level: 0, queueType: .classic)
        #expect(bottom["x-message-ttl"] == .int32(1000))
        #expect(bottom["x-dead-letter-exchange"] == "celery_delayed_delivery")
        #expect(bottom["x-dead-letter-strategy"] == nil)
    }

    @Test func prioritiesOnQuorumQueuesAreRefusedClearly() async throws {
        var configuration = Self.quorum()
        configuration.maxPriority = 10
        #expect(throws: CeleriacError.self) { try configuration.validate() }
        guard let server = try await RabbitMQTestSupport.server() else { return }
        let broker = try RabbitMQBroker(url: server.url, configuration: configuration)
        let app = CeleriacApp(broker: broker, backend: nil, logger: RabbitMQTestSupport.quiet)
        var options = CallOptions()
        options.queue = RabbitMQTestSupport.uniqueQueue("qp")
        let error = await #expect(throws: CeleriacError.self) { try await app.send(name: "tests.add", args: [1, 2], options: options) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("quorum") == true, "\(String(describing: error))")
        await broker.close()
    }

    @Test func theQuorumTopologyIsCeleryS() async throws {
        guard let server = try await RabbitMQTestSupport.server() else { return }
        let queue = RabbitMQTestSupport.uniqueQueue("qtopo")
        let broker = try RabbitMQBroker(url: server.url, configuration: Self.quorum())
        _ = try await broker.receive(from: [queue], limit: 4, timeout: .milliseconds(100))
        let queues = try await server.ctl(["list_queues", "name", "type", "arguments"]).output
        let line = try #require(queues.split(separator: "\n").first { $0.hasPrefix(queue + "\t") }, "\(queues)")
        #expect(line.contains("quorum"), "\(line)")
        let delayed = try #require(queues.split(separator: "\n").first { $0.hasPrefix("celery_delayed_27\t") }, "\(queues)")
        #expect(delayed.contains("quorum") && delayed.contains("134217728000") && delayed.contains("celery_delayed_26"), "\(delayed)")
        let bindings = try await server.ctl(["list_bindings", "source_name", "destination_name", "routing_key"]).output
        #expect(bindings.contains("celery_delayed_delivery\t\(queue)\t#.\(queue)"), "\(bindings)")
        #expect(bindings.contains("\(queue)\t\(queue)\t#.\(queue)"), "\(bindings)")
        #expect(bindings.contains("celery_delayed_27\tcelery_delayed_26\t0.#"), "\(bindings)")
        let exchanges = try await server.ctl(["list_exchanges", "name", "type"]).output
        #expect(exchanges.contains("\(queue)\ttopic"), "\(exchanges)")
        // Quorum queues refuse global QoS: the consumer's prefetch is per consumer.
        let channels = try await server.ctl(["list_channels", "prefetch_count", "global_prefetch_count", "consumer_count"]).output
        #expect(channels.split(separator: "\n").contains { $0.hasSuffix("\t0\t1") && !$0.hasPrefix("0\t") }, "\(channels)")
        await broker.close()
    }

    @Test func aSwiftCountdownOnAQuorumQueueWaitsInTheDelayLevelsAndRunsOnASwiftWorker() async throws {
        guard let server = try await RabbitMQTestSupport.server() else { return }
        let queue = RabbitMQTestSupport.uniqueQueue("qswift")
        let client = try await rpcApp(server.url, queue: queue, brokerConfiguration: Self.quorum())
        // A bare consumer first: the countdown message reaches the queue only when due, through the delivery exchange.
        let probe = try RabbitMQBroker(url: server.url, configuration: Self.quorum())
        // Connected, with the queue and the delay levels declared, before the clock starts: on a loaded machine the
        // first receive's connection alone can take longer than the countdown.
        #expect(try await probe.receive(from: [queue], limit: 1, timeout: .milliseconds(100)).isEmpty)
        var options = CallOptions()
        options.countdown = 3
        let started = ContinuousClock.now
        let early = try await client.send(name: "tests.add", args: [1, 2], options: options)
        let first = try await probe.receive(from: [queue], limit: 1, timeout: .seconds(1.5))
        var due = first.first
        if due == nil { due = try await probe.receive(from: [queue], limit: 1, timeout: .seconds(15)).first }
        let delivery = try #require(due)
        #expect(ContinuousClock.now - started >= .seconds(2.5), "a 3 s countdown was delivered early")
        let message = try TaskMessage(envelope: delivery.envelope)
        #expect(message.headers.id == early.id)
        // Dead-lettered by the last level it waited in (celery_delayed_0 hands it to celery_delayed_delivery,
        // higher levels to the next exchange), with kombu's binary routing key.
        #expect(message.properties.exchange.hasPrefix("celery_delayed_"), "\(message.properties.exchange)")
        let bits = message.properties.routingKey.split(separator: ".").prefix(28)
        #expect(bits.count == 28 && bits.allSatisfy { $0 == "0" || $0 == "1" }, "\(message.properties.routingKey)")
        #expect(message.properties.routingKey.hasSuffix(".\(queue)"))
        #expect(message.headers.extra["x-death"] != nil)  // dead-lettered through the levels by RabbitMQ
        try await probe.ack([delivery.tag])
        await probe.close()

        // And a Celeriac worker runs such a task when it is due.
        let worker = try await rpcApp(server.url, queue: queue, brokerConfiguration: Self.quorum())
        registerTestTasks(worker)
        options.countdown = 5
        let sent = ContinuousClock.now
        let later = try await client.send(name: "tests.add", args: [20, 22], options: options)
        // 5 s = binary 101: the message waits 4 s in celery_delayed_2, then 1 s in celery_delayed_0.
        let waiting = await eventually(timeout: .seconds(3)) { ((try? await Self.messages(in: "celery_delayed_2", server)) ?? 0) >= 1 }
        #expect(waiting)
        try await runningSwiftWorker(worker, queues: [queue]) { () async throws -> Void in
            #expect(try await later.get(timeout: .seconds(60)) == .int(42))
        }
        #expect(ContinuousClock.now - sent >= .seconds(3.5))
        for app in [worker, client] {
            await app.backend?.close()
            await app.broker.close()
        }
    }

    @Test func aPythonCountdownOnAQuorumQueueIsDeliveredToASwiftWorker() async throws {
        guard let server = try await RabbitMQTestSupport.server(), let python = try RabbitMQTestSupport.requirePython() else { return }
        let queue = RabbitMQTestSupport.uniqueQueue("qpy")
        let worker = try await rpcApp(server.url, queue: queue, brokerConfiguration: Self.quorum())
        registerTestTasks(worker)
        let run = try await runningSwiftWorker(worker, queues: [queue]) {
            // The worker declares the delay levels and bindings when it starts consuming; a countdown published
            // before its queue is bound to celery_delayed_delivery would be dropped there (as with Celery's worker).
            let bound = await eventually(timeout: .seconds(60), interval: .milliseconds(500)) {
                (try? await server.ctl(["list_bindings", "source_name", "destination_name"]).output.contains("celery_delayed_delivery\t\(queue)")) == true
            }
            try #require(bound, "the Swift worker did not bind its queue to celery_delayed_delivery")
            return try await RabbitMQTestSupport.runPython(
                python, ["rmq_rpc_client.py", "countdown", "3"],
                environment: ["CELERIAC_RMQ_BROKER": server.url, "CELERIAC_RMQ_QUEUE": queue, "CELERIAC_RMQ_QUORUM": "1"],
                timeout: .seconds(120))
        }
        #expect(run.status == 0, "\(run.output)")
        let result = try #require(RabbitMQTestSupport.resultLines(run.output).first, "\(run.output)")
        #expect(result["value"] as? Int == 42)
        #expect((result["elapsed"] as? Double ?? 0) >= 2.5, "\(result)")
        await worker.backend?.close()
        await worker.broker.close()
    }

    @Test func aSwiftCountdownOnAQuorumQueueIsDeliveredToAPythonWorker() async throws {
        guard let server = try await RabbitMQTestSupport.server(), let python = try RabbitMQTestSupport.requirePython() else { return }
        let queue = RabbitMQTestSupport.uniqueQueue("qpyw")
        let worker = try await RabbitMQPythonWorker(python: python, broker: server.url, queue: queue, quorum: true)
        defer { worker.stop() }
        let client = try await rpcApp(server.url, queue: queue, brokerConfiguration: Self.quorum())
        var options = CallOptions()
        options.countdown = 5
        let started = ContinuousClock.now
        let later = try await client.send(name: "tests.add", args: [40, 2], options: options)
        let waiting = await eventually(timeout: .seconds(3)) { ((try? await Self.messages(in: "celery_delayed_2", server)) ?? 0) >= 1 }
        #expect(waiting)
        #expect(try await later.get(timeout: .seconds(60)) == .int(42), "\(worker.output.suffix(3000))")
        #expect(ContinuousClock.now - started >= .seconds(4.5))
        worker.stop()
        await client.backend?.close()
        await client.broker.close()
    }

    @Test func aClassicPriorityQueueFilledByPythonCeleryIsDrainedInPriorityOrder() async throws {
        guard let server = try await RabbitMQTestSupport.server(), let python = try RabbitMQTestSupport.requirePython() else { return }
        let queue = RabbitMQTestSupport.uniqueQueue("prio")
        let run = try await RabbitMQTestSupport.runPython(
            python, ["rmq_rpc_client.py", "priorities"],
            environment: ["CELERIAC_RMQ_BROKER": server.url, "CELERIAC_RMQ_QUEUE": queue, "CELERIAC_RMQ_MAX_PRIORITY": "10"])
        #expect(run.status == 0, "\(run.output)")
        let broker = try RabbitMQBroker(url: server.url, configuration: RabbitMQBroker.Configuration(maxPriority: 10))
        var priorities: [Int] = []
        while priorities.count < 6 {
            let deliveries = try await broker.receive(from: [queue], limit: 6, timeout: .seconds(10))
            guard !deliveries.isEmpty else { break }
            for delivery in deliveries { priorities.append(try TaskMessage(envelope: delivery.envelope).properties.priority) }
            try await broker.ack(deliveries.map(\.tag))
        }
        #expect(priorities == [9, 9, 5, 3, 0, 0])
        await broker.close()
    }
}

extension String {
    /// The string with leading zeros up to `width` characters.
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
