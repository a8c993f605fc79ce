import CeleriacAMQP
import CeleriacTesting
import NIOCore
import Testing

/// ``AMQPReconnectingConnection`` against a private RabbitMQ node that the test restarts.
@Suite("AMQP reconnect and topology recovery", .timeLimit(.minutes(5)))
struct AMQPReconnectTests {
    @Test func restartedBrokerRecoversTopologyAndConsumer() async throws {
        guard RabbitMQServerProcess.shouldRun else {
            print("note: rabbitmq-server is not installed; skipping the reconnect test")
            return
        }
        try await withRabbitMQServer { server in
            var policy = AMQPReconnectingConnection.ReconnectPolicy()
            policy.maximumDelay = .milliseconds(500)
            policy.operationWaitTimeout = .seconds(90)
            let connection = try await AMQPReconnectingConnection.open(
                configuration: try AMQPConfiguration(url: server.url), policy: policy, publisherConfirms: true, logger: AMQPTestSupport.logger
            )
            // Non-durable: gone after the restart unless the client declares them again.
            try await connection.declareExchange("events", type: "topic")
            try await connection.declareQueue("work")
            try await connection.bindQueue("work", to: "events", routingKey: "task.#")
            let named = try await connection.declareQueue("", exclusive: true)
            try await connection.bindQueue(named.name, to: "events", routingKey: "#")
            let consumer = try await connection.consume(queue: "work", prefetchCount: 1)
            let inbox = await DeliveryInbox.collecting(consumer)
            try await connection.publish(ByteBuffer(string: "before"), exchange: "events", routingKey: "task.a")
            #expect(await inbox.wait(forCount: 1))
            // Left unacknowledged across the restart: its tag dies with the connection.
            let stale = try #require(await inbox.deliveries.first)

            try await server.restart()

            // The first publish after the restart waits for the reconnection and the replayed topology.
            try await connection.publish(ByteBuffer(string: "after"), exchange: "events", routingKey: "task.b")
            #expect(await inbox.wait(forCount: 2, timeout: .seconds(60)))
            let deliveries = await inbox.deliveries
            #expect(deliveries.map { String(buffer: $0.body) }.last == "after")
            #expect(deliveries.last?.consumerTag == consumer.consumerTag)
            #expect(await connection.reconnectCount == 1)
            #expect(await connection.isConnected)
            try await deliveries[1].ack()
            let ackError = await #expect(throws: AMQPError.self) { try await stale.ack() }
            #expect(ackError?.code == .connectionClosed)
            // The server-named queue was declared again (under a new name) and bound again.
            let bindings = try await server.ctl(["list_bindings", "-q", "source_name", "destination_name", "routing_key"]).output
            #expect(bindings.contains("events\twork\ttask.#"))
            #expect(bindings.split(separator: "\n").contains { $0.hasPrefix("events\tamq.gen-") && $0.hasSuffix("\t#") })
            #expect(!bindings.contains(named.name))  // the old server-named queue died with the old connection
            await connection.close()
            #expect(await inbox.waitForEnd())
        }
    }

    @Test func firstOpenWithAWrongPasswordThrowsAtOnce() async throws {
        guard let server = try await AMQPTestSupport.sharedServer() else { return }
        let start = ContinuousClock.now
        let error = await #expect(throws: AMQPError.self) {
            try await AMQPReconnectingConnection.open(
                configuration: try AMQPConfiguration(url: "amqp://guest:nope@127.0.0.1:\(server.port)//"), logger: AMQPTestSupport.logger
            )
        }
        #expect(error?.code == .authenticationFailed)
        #expect(ContinuousClock.now - start < .seconds(10))
    }
}
