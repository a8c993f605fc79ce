import Celeriac
import CeleriacCommands
import CeleriacRabbitMQ
import CeleriacTesting
import Testing

/// `broker_url = amqp://…` (and Celery's `pyamqp://`) opens a ``RabbitMQBroker`` through ``CeleriacConnections``.
@Suite("RabbitMQ broker URLs", .timeLimit(.minutes(2)))
struct RabbitMQConnectionsTests {
    @Test(arguments: ["amqp", "pyamqp"])
    func amqpURLsOpenTheRabbitMQBroker(_ scheme: String) async throws {
        guard let server = try await RabbitMQTestSupport.server() else { return }
        var configuration = CeleriacConfiguration()
        configuration.brokerURL = "\(scheme)://guest:guest@127.0.0.1:\(server.port)//"
        let connections = try await CeleriacConnections.open(configuration, logger: RabbitMQTestSupport.quiet)
        let broker = try #require(connections.broker as? RabbitMQBroker)
        let queue = RabbitMQTestSupport.uniqueQueue("url")
        let app = CeleriacApp(broker: broker, backend: nil, logger: RabbitMQTestSupport.quiet)
        var options = CallOptions()
        options.queue = queue
        let id = try await app.send(name: "tests.add", args: [1, 1], options: options).id
        let delivery = try #require(try await broker.receive(from: [queue], limit: 1, timeout: .seconds(10)).first)
        #expect(try TaskMessage(envelope: delivery.envelope).headers.id == id)
        try await broker.ack([delivery.tag])
        await connections.close()
    }

    @Test func aWrongPasswordFailsAtOpen() async throws {
        guard let server = try await RabbitMQTestSupport.server() else { return }
        var configuration = CeleriacConfiguration()
        configuration.brokerURL = "amqp://guest:nope@127.0.0.1:\(server.port)//"
        await #expect(throws: CeleriacError.self) { try await CeleriacConnections.open(configuration, logger: RabbitMQTestSupport.quiet) }
    }
}
