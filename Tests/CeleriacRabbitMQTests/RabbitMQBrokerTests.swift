import Celeriac
import CeleriacAMQP
import CeleriacRabbitMQ
import CeleriacTesting
import Foundation
import NIOCore
import Testing

/// ``RabbitMQBroker`` on a real RabbitMQ node (shared by the suite; each test uses its own queues).
@Suite("RabbitMQ broker", .timeLimit(.minutes(5)))
struct RabbitMQBrokerTests {
    /// Sends a task through a ``CeleriacApp`` on `broker` and returns its id.
    static func send(_ broker: RabbitMQBroker, queue: String, args: [JSONValue], priority: Int? = nil) async throws -> String {
        let app = CeleriacApp(broker: broker, backend: nil, logger: RabbitMQTestSupport.quiet)
        var options = CallOptions()
        options.queue = queue
        options.priority = priority
        return try await app.send(name: "tests.add", args: args, options: options).id
    }

    @Test func publishReceiveAckRoundTripWithCeleryTopologyAndProperties() async throws {
        guard let server = try await RabbitMQTestSupport.server() else { return }
        let queue = RabbitMQTestSupport.uniqueQueue()
        let broker = try RabbitMQBroker(url: server.url)
        let inspected = try await Self.send(broker, queue: queue, args: [1, 2])
        let id = try await Self.send(broker, queue: queue, args: [2, 3])

        // What is on the wire: Celery's properties and headers table, the raw JSON body.
        let connection = try await AMQPConnection.open(configuration: try AMQPConfiguration(url: server.url), logger: RabbitMQTestSupport.quiet)
        let channel = try await connection.openChannel()
        let raw = try #require(try await channel.get(queue: queue, noAck: true)).delivery
        #expect(raw.exchange == "")
        #expect(raw.routingKey == queue)
        #expect(raw.properties.contentType == "application/json")
        #expect(raw.properties.contentEncoding == "utf-8")
        #expect(raw.properties.deliveryMode == 2)
        #expect(raw.properties.priority == 0)
        #expect(raw.properties.correlationID == inspected)
        #expect(raw.properties.headers?["id"] == .string(inspected))
        #expect(raw.properties.headers?["task"] == .string("tests.add"))
        #expect(raw.properties.headers?["retries"] == .int32(0))
        #expect(String(buffer: raw.body).hasPrefix("[[1, 2], {}, {"))
        // Celery's topology: a durable direct exchange named like the queue, bound with the queue name.
        try await channel.declareExchange(queue, type: "direct", durable: true, passive: true)
        try await channel.declareQueue(queue, durable: true, passive: true)
        await connection.close()

        let deliveries = try await broker.receive(from: [queue], limit: 10, timeout: .seconds(10))
        let delivery = try #require(deliveries.first)
        #expect(deliveries.count == 1)
        #expect(delivery.queue == queue)
        #expect(!delivery.redelivered)
        let task = try TaskMessage(envelope: delivery.envelope)
        #expect(task.headers.id == id)
        #expect(task.headers.task == "tests.add")
        #expect(task.args == [2, 3])
        #expect(try await broker.queueDepths().first { $0.queue == queue } == QueueDepth(queue: queue, ready: 0, unacked: 1))
        try await broker.ack([delivery.tag])
        #expect(try await broker.queueDepths().first { $0.queue == queue } == QueueDepth(queue: queue, ready: 0, unacked: 0))
        #expect(try await broker.receive(from: [queue], limit: 10, timeout: .milliseconds(300)).isEmpty)
        #expect(try await broker.restoreExpiredLeases() == 0)
        await broker.close()
    }

    @Test func receiveHonoursTheLimitAndPrefetch() async throws {
        guard let server = try await RabbitMQTestSupport.server() else { return }
        let queue = RabbitMQTestSupport.uniqueQueue()
        let broker = try RabbitMQBroker(url: server.url)
        var ids: [String] = []
        for i in 0..<5 { ids.append(try await Self.send(broker, queue: queue, args: [.int(i)])) }
        // A receive returns as soon as something is buffered: the second delivery may still be on its way.
        var first: [Delivery] = []
        _ = await eventually(timeout: .seconds(10)) {
            first += (try? await broker.receive(from: [queue], limit: 2 - first.count, timeout: .seconds(1))) ?? []
            return first.count >= 2
        }
        #expect(first.count == 2)
        // The prefetch window keeps the rest on the broker.
        let depths = try await broker.queueDepths().first { $0.queue == queue }
        #expect(depths == QueueDepth(queue: queue, ready: 3, unacked: 2))
        try await broker.ack(first.map(\.tag))
        var rest: [Delivery] = []
        _ = await eventually(timeout: .seconds(10)) {
            rest += (try? await broker.receive(from: [queue], limit: 3, timeout: .seconds(1))) ?? []
            return rest.count >= 3
        }
        #expect(rest.count == 3)
        let order = try (first + rest).map { try TaskMessage(envelope: $0.envelope).headers.id }
        #expect(order == ids)
        try await broker.ack(rest.map(\.tag))
        await broker.close()
    }

    @Test func giveBackAndRejectWithRequeueRedeliverAtTheFront() async throws {
        guard let server = try await RabbitMQTestSupport.server() else { return }
        let queue = RabbitMQTestSupport.uniqueQueue()
        let broker = try RabbitMQBroker(url: server.url)
        let a = try await Self.send(broker, queue: queue, args: [1])
        let b = try await Self.send(broker, queue: queue, args: [2])
        // RabbitMQ puts a requeued message back in its place "if possible": the slot the reject frees can be
        // filled with the next message before the requeued one is back at the head. One that comes early is
        // kept (unacked) until the test asks for it.
        var early: [String: Delivery] = [:]
        func next(_ expected: String) async throws -> (id: String, delivery: Delivery) {
            if let delivery = early.removeValue(forKey: expected) { return (expected, delivery) }
            while true {
                let delivery = try #require(try await broker.receive(from: [queue], limit: 1, timeout: .seconds(10)).first)
                let id = try TaskMessage(envelope: delivery.envelope).headers.id
                if id == expected { return (id, delivery) }
                #expect(early[id] == nil, "\(id) delivered twice while unacked")
                early[id] = delivery
            }
        }
        let first = try await next(a)
        #expect(first.id == a)
        #expect(early.isEmpty, "prefetch 1: nothing else before a")
        try await broker.giveBack([first.delivery.tag])
        let again = try await next(a)
        #expect(again.id == a)
        #expect(again.delivery.redelivered)
        #expect(try TaskMessage(envelope: again.delivery.envelope).properties.redelivered == true)
        try await broker.reject(again.delivery.tag, requeue: true)
        let third = try await next(a)
        #expect(third.id == a)
        try await broker.reject(third.delivery.tag, requeue: false)
        let last = try await next(b)
        #expect(last.id == b)
        try await broker.ack([last.delivery.tag])
        #expect(try await broker.receive(from: [queue], limit: 1, timeout: .milliseconds(300)).isEmpty)
        await broker.close()
    }

    @Test func aClosedConsumersUnackedMessageIsRedelivered() async throws {
        guard let server = try await RabbitMQTestSupport.server() else { return }
        let queue = RabbitMQTestSupport.uniqueQueue()
        let first = try RabbitMQBroker(url: server.url)
        let id = try await Self.send(first, queue: queue, args: [7])
        let taken = try #require(try await first.receive(from: [queue], limit: 1, timeout: .seconds(10)).first)
        #expect(!taken.redelivered)
        await first.close()  // dies without acking
        let second = try RabbitMQBroker(url: server.url)
        let redelivered = try #require(try await second.receive(from: [queue], limit: 1, timeout: .seconds(10)).first)
        #expect(redelivered.redelivered)
        #expect(try TaskMessage(envelope: redelivered.envelope).headers.id == id)
        // An ack of the dead broker's tag on the new one is ignored, not an error.
        try await second.ack([taken.tag, redelivered.tag])
        await second.close()
    }

    @Test func purgeAndDepthsAndSeveralQueues() async throws {
        guard let server = try await RabbitMQTestSupport.server() else { return }
        let one = RabbitMQTestSupport.uniqueQueue("one")
        let two = RabbitMQTestSupport.uniqueQueue("two")
        let broker = try RabbitMQBroker(url: server.url)
        for i in 0..<3 { _ = try await Self.send(broker, queue: one, args: [.int(i)]) }
        let other = try await Self.send(broker, queue: two, args: [9])
        #expect(try await broker.queueDepths().filter { [one, two].contains($0.queue) } == [
            QueueDepth(queue: one, ready: 3, unacked: 0), QueueDepth(queue: two, ready: 1, unacked: 0),
        ])
        #expect(try await broker.purge(queue: one) == 3)
        let got = try await broker.receive(from: [one, two], limit: 5, timeout: .seconds(10))
        #expect(try got.map { try TaskMessage(envelope: $0.envelope).headers.id } == [other])
        try await broker.ack(got.map(\.tag))
        #expect(try await broker.purge(queue: RabbitMQTestSupport.uniqueQueue("empty")) == 0)
        await broker.close()
        await #expect(throws: CeleriacError.self) { try await broker.receive(from: [one], limit: 1, timeout: .zero) }
    }

    @Test func maxPriorityDeclaresTheQueueArgumentAndHigherPrioritiesComeFirst() async throws {
        guard let server = try await RabbitMQTestSupport.server() else { return }
        let queue = RabbitMQTestSupport.uniqueQueue("prio")
        let broker = try RabbitMQBroker(url: server.url, configuration: RabbitMQBroker.Configuration(maxPriority: 10))
        let low = try await Self.send(broker, queue: queue, args: [1], priority: 1)
        let high = try await Self.send(broker, queue: queue, args: [2], priority: 9)
        var got: [Delivery] = []
        _ = await eventually(timeout: .seconds(10)) {
            got += (try? await broker.receive(from: [queue], limit: 2 - got.count, timeout: .seconds(1))) ?? []
            return got.count >= 2
        }
        #expect(try got.map { try TaskMessage(envelope: $0.envelope).headers.id } == [high, low])
        try await broker.ack(got.map(\.tag))
        // Declared elsewhere without the argument, the queue is refused with a clear error.
        let plain = try RabbitMQBroker(url: server.url)
        await #expect(throws: CeleriacError.self) { try await Self.send(plain, queue: queue, args: [3]) }
        await plain.close()
        await broker.close()
    }

    @Test func aWrongPasswordIsAClearError() async throws {
        guard let server = try await RabbitMQTestSupport.server() else { return }
        let broker = try RabbitMQBroker(url: "amqp://guest:wrong@127.0.0.1:\(server.port)//")
        let error = await #expect(throws: CeleriacError.self) { try await broker.checkConnection() }
        #expect(error?.code == .brokerFailure)
        #expect(error.map { !"\($0)".contains("wrong") } ?? false)
        await broker.close()
    }
}
