import CeleriacAMQP
import CeleriacTesting
import NIOCore
import Testing

/// The client against a real RabbitMQ node (shared by the suite; unique names per test).
@Suite("AMQP client on RabbitMQ", .timeLimit(.minutes(5)))
struct AMQPIntegrationTests {
    @Test func declarePublishConsumeAckRoundTrip() async throws {
        try await AMQPTestSupport.withConnection { connection, server in
            #expect(connection.negotiated.frameMax == 131_072)
            #expect(connection.negotiated.serverProperties["product"]?.stringValue == "RabbitMQ")
            let channel = try await connection.openChannel()
            let exchange = AMQPTestSupport.unique("x"), queue = AMQPTestSupport.unique("q")
            try await channel.declareExchange(exchange, type: "direct")
            let info = try await channel.declareQueue(queue, arguments: ["x-max-priority": 10])
            #expect(info.name == queue && info.messageCount == 0)
            try await channel.bindQueue(queue, to: exchange, routingKey: "rk")
            let headers: AMQPTable = [
                "task": "tasks.add", "retries": 0, "timelimit": [nil, nil], "big": .int64(1 << 40), "eta": nil, "stamps": .table([:]),
                "f": 1.5, "flag": true,
            ]
            let properties = AMQPProperties(
                contentType: "application/json", contentEncoding: "utf-8", headers: headers, deliveryMode: 2, priority: 0,
                correlationID: "id-1", replyTo: "replies"
            )
            try await channel.publish("[[2, 3], {}, {}]", exchange: exchange, routingKey: "rk", properties: properties)
            let consumer = try await channel.consume(queue: queue)
            let inbox = await DeliveryInbox.collecting(consumer)
            #expect(await inbox.wait(forCount: 1))
            let delivery = try #require(await inbox.deliveries.first)
            #expect(String(buffer: delivery.body) == "[[2, 3], {}, {}]")
            #expect(delivery.properties == properties)
            #expect(delivery.exchange == exchange && delivery.routingKey == "rk" && !delivery.redelivered)
            #expect(delivery.consumerTag == consumer.consumerTag)
            try await delivery.ack()
            try await consumer.cancel()
            #expect(await inbox.waitForEnd())
            #expect(await inbox.failure == nil)
            #expect(try await channel.get(queue: queue) == nil)
            #expect(try await channel.deleteQueue(queue) == 0)
            try await channel.deleteExchange(exchange)
            await channel.close()
        }
    }

    @Test func bodyLargerThanFrameMaxIsSplitAndReassembled() async throws {
        try await AMQPTestSupport.withConnection { connection, _ in
            let channel = try await connection.openChannel()
            let queue = AMQPTestSupport.unique("big")
            try await channel.declareQueue(queue, autoDelete: true)
            var body = ByteBuffer()
            for index in 0..<300_079 { body.writeInteger(UInt8(truncatingIfNeeded: index &* 31)) }
            try await channel.publish(body, routingKey: queue)
            let got = try #require(try await channel.get(queue: queue))
            #expect(got.delivery.body == body)
            try await got.delivery.ack()
            try await channel.publish(ByteBuffer(), routingKey: queue)  // an empty body has no body frame
            let empty = try #require(try await channel.get(queue: queue, noAck: true))
            #expect(empty.delivery.body.readableBytes == 0)
        }
    }

    @Test func publisherConfirms() async throws {
        try await AMQPTestSupport.withConnection { connection, _ in
            let channel = try await connection.openChannel()
            let queue = AMQPTestSupport.unique("confirm")
            try await channel.declareQueue(queue, autoDelete: true)
            try await channel.confirmSelect()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<50 {
                    group.addTask { try await channel.publish("m\(index)", routingKey: queue) }
                }
                try await group.waitForAll()
            }
            let info = try await channel.declareQueue(queue, passive: true)
            #expect(info.messageCount == 50)
            // Publishing to a missing exchange closes the channel; the pending confirm fails with the broker's reason.
            let error = await #expect(throws: AMQPError.self) {
                try await channel.publish("lost", exchange: AMQPTestSupport.unique("missing"), routingKey: "x")
            }
            #expect(error?.code == .channelClosed)
            #expect(error?.replyCode == 404)
            #expect(connection.isOpen)
        }
    }

    @Test func qosPrefetchIsHonored() async throws {
        try await AMQPTestSupport.withConnection { connection, _ in
            let channel = try await connection.openChannel()
            let queue = AMQPTestSupport.unique("qos")
            try await channel.declareQueue(queue, autoDelete: true)
            for index in 0..<5 { try await channel.publish("m\(index)", routingKey: queue) }
            try await channel.qos(prefetchCount: 2)
            let inbox = await DeliveryInbox.collecting(try await channel.consume(queue: queue))
            #expect(await inbox.wait(forCount: 2))
            try await Task.sleep(for: .milliseconds(500))
            #expect(await inbox.deliveries.count == 2)
            try await inbox.deliveries[0].ack()
            #expect(await inbox.wait(forCount: 3))
            try await Task.sleep(for: .milliseconds(300))
            #expect(await inbox.deliveries.count == 3)
            try await channel.ack(deliveryTag: inbox.deliveries[2].deliveryTag, multiple: true)
            #expect(await inbox.wait(forCount: 5))
            #expect(await inbox.deliveries.map { String(buffer: $0.body) } == ["m0", "m1", "m2", "m3", "m4"])
        }
    }

    @Test func rejectRequeueAndNack() async throws {
        try await AMQPTestSupport.withConnection { connection, _ in
            let channel = try await connection.openChannel()
            let queue = AMQPTestSupport.unique("reject")
            try await channel.declareQueue(queue, autoDelete: true)
            try await channel.publish("once", routingKey: queue)
            let first = try #require(try await channel.get(queue: queue))
            #expect(!first.delivery.redelivered)
            try await first.delivery.reject(requeue: true)
            let second = try #require(try await channel.get(queue: queue))
            #expect(second.delivery.redelivered)
            #expect(String(buffer: second.delivery.body) == "once")
            try await second.delivery.nack(requeue: true)
            let third = try #require(try await channel.get(queue: queue))
            try await third.delivery.reject(requeue: false)
            #expect(try await channel.get(queue: queue) == nil)
        }
    }

    @Test func brokerErrorClosesOnlyTheChannel() async throws {
        try await AMQPTestSupport.withConnection { connection, _ in
            let channel = try await connection.openChannel()
            let error = await #expect(throws: AMQPError.self) {
                try await channel.declareQueue(AMQPTestSupport.unique("absent"), passive: true)
            }
            #expect(error?.code == .channelClosed)
            #expect(error?.replyCode == 404)
            #expect(error?.replyText?.contains("NOT_FOUND") == true)
            let later = await #expect(throws: AMQPError.self) { try await channel.declareQueue("", exclusive: true) }
            #expect(later?.code == .channelClosed)
            let fresh = try await connection.openChannel()
            let named = try await fresh.declareQueue("", exclusive: true)
            #expect(named.name.hasPrefix("amq.gen-"))
        }
    }

    @Test func wrongPasswordFailsClearlyAndOnce() async throws {
        guard let server = try await AMQPTestSupport.sharedServer() else { return }
        let configuration = try AMQPConfiguration(url: "amqp://guest:wrong@127.0.0.1:\(server.port)//")
        let start = ContinuousClock.now
        let error = await #expect(throws: AMQPError.self) {
            try await AMQPConnection.open(configuration: configuration, logger: AMQPTestSupport.logger)
        }
        #expect(error?.code == .authenticationFailed)
        #expect(error?.replyCode == 403)
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(error.map { "\($0)" }?.contains("wrong") == false)  // the password is never in the description
    }

    @Test func amqplainLogin() async throws {
        try await AMQPTestSupport.withConnection(configure: { $0.mechanism = .amqplain }) { connection, _ in
            let channel = try await connection.openChannel()
            try await channel.declareQueue("", exclusive: true)
        }
    }

    @Test func wrongVirtualHostFailsClearly() async throws {
        guard let server = try await AMQPTestSupport.sharedServer() else { return }
        let configuration = try AMQPConfiguration(url: "amqp://guest:guest@127.0.0.1:\(server.port)/no-such-vhost")
        let error = await #expect(throws: AMQPError.self) {
            try await AMQPConnection.open(configuration: configuration, logger: AMQPTestSupport.logger)
        }
        #expect(error?.code == .accessRefused)
        #expect(error?.replyCode == 530)
    }

    @Test func heartbeatsKeepAnIdleConnectionAlive() async throws {
        try await AMQPTestSupport.withConnection(configure: { $0.heartbeat = .seconds(1) }) { connection, _ in
            #expect(connection.negotiated.heartbeat == 1)
            let channel = try await connection.openChannel()
            try await Task.sleep(for: .seconds(5))  // RabbitMQ closes a connection after 2 missed heartbeats
            #expect(connection.isOpen)
            try await channel.declareQueue("", exclusive: true)
        }
    }
}

/// More of the client against the shared node: server-side consumer cancellation, exchange bindings, many channels.
@Suite("AMQP client on RabbitMQ, more", .timeLimit(.minutes(5)))
struct AMQPIntegrationMoreTests {
    @Test func deletingAConsumedQueueCancelsTheConsumer() async throws {
        try await AMQPTestSupport.withConnection { connection, _ in
            let channel = try await connection.openChannel()
            let queue = AMQPTestSupport.unique("doomed")
            try await channel.declareQueue(queue)
            let inbox = await DeliveryInbox.collecting(try await channel.consume(queue: queue))
            let other = try await connection.openChannel()
            try await other.deleteQueue(queue)
            #expect(await inbox.waitForEnd())
            #expect((await inbox.failure as? AMQPError)?.code == .consumerCancelled)
            try await channel.declareQueue("", exclusive: true)  // the channel itself is fine
        }
    }

    @Test func exchangeToExchangeBindingsAndPurge() async throws {
        try await AMQPTestSupport.withConnection { connection, _ in
            let channel = try await connection.openChannel()
            let source = AMQPTestSupport.unique("src"), destination = AMQPTestSupport.unique("dst")
            try await channel.declareExchange(source, type: "topic")
            try await channel.declareExchange(destination, type: "fanout")
            try await channel.bindExchange(destination, to: source, routingKey: "a.*")
            let queue = try await channel.declareQueue("", exclusive: true)
            try await channel.bindQueue(queue.name, to: destination)
            try await channel.confirmSelect()
            try await channel.publish("routed", exchange: source, routingKey: "a.b")
            try await channel.publish("dropped", exchange: source, routingKey: "b.c")
            #expect(try await channel.declareQueue(queue.name, passive: true).messageCount == 1)
            try await channel.unbindExchange(destination, from: source, routingKey: "a.*")
            try await channel.publish("after unbind", exchange: source, routingKey: "a.b")
            #expect(try await channel.purgeQueue(queue.name) == 1)
            try await channel.unbindQueue(queue.name, from: destination)
            try await channel.deleteExchange(source)
            try await channel.deleteExchange(destination, ifUnused: true)
        }
    }

    @Test func manyChannelsShareOneConnection() async throws {
        try await AMQPTestSupport.withConnection { connection, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        let channel = try await connection.openChannel()
                        let queue = try await channel.declareQueue("", exclusive: true)
                        for message in 0..<10 { try await channel.publish("\(index).\(message)", routingKey: queue.name) }
                        let inbox = await DeliveryInbox.collecting(try await channel.consume(queue: queue.name, noAck: true))
                        #expect(await inbox.wait(forCount: 10))
                        #expect(await inbox.deliveries.map { String(buffer: $0.body) } == (0..<10).map { "\(index).\($0)" })
                        await channel.close()
                        #expect(await inbox.waitForEnd())
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}
