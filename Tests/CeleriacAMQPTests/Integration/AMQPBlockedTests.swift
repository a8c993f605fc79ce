import CeleriacAMQP
import CeleriacTesting
import NIOCore
import Testing

/// `connection.blocked`/`unblocked` from a private RabbitMQ node whose memory alarm the test sets and clears.
@Suite("AMQP connection.blocked", .timeLimit(.minutes(5)))
struct AMQPBlockedTests {
    @Test func memoryAlarmBlocksAndUnblocksThePublisher() async throws {
        guard RabbitMQServerProcess.shouldRun else {
            print("note: rabbitmq-server is not installed; skipping the blocked test")
            return
        }
        try await withRabbitMQServer { server in
            let connection = try await AMQPConnection.open(configuration: try AMQPConfiguration(url: server.url), logger: AMQPTestSupport.logger)
            let channel = try await connection.openChannel()
            let queue = try await channel.declareQueue("", exclusive: true)
            #expect(connection.blockedReason == nil)
            #expect(try await server.ctl(["set_vm_memory_high_watermark", "0.000001"]).status == 0)
            try await channel.publish("while blocked", routingKey: queue.name)  // RabbitMQ blocks a connection when it publishes
            var events = connection.events.makeAsyncIterator()
            let blocked = await events.next()
            guard case .blocked(let reason)? = blocked else {
                Issue.record("expected connection.blocked, got \(String(describing: blocked))")
                return
            }
            #expect(reason.contains("memory"))
            #expect(connection.blockedReason == reason)
            #expect(try await server.ctl(["set_vm_memory_high_watermark", "0.4"]).status == 0)
            #expect(await events.next() == .unblocked)
            #expect(connection.blockedReason == nil)
            let got = try #require(try await channel.get(queue: queue.name, noAck: true))
            #expect(String(buffer: got.delivery.body) == "while blocked")  // held while blocked, delivered after
            await connection.close()
        }
    }
}
