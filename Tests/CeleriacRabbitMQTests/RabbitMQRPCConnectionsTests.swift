import Celeriac
import CeleriacCommands
import CeleriacRabbitMQ
import CeleriacTesting
import Foundation
import Testing

/// `result_backend = rpc://` and the quorum queue settings through ``CeleriacConnections``, as a config file or
/// `CELERY_*` variables give them.
@Suite("rpc:// and quorum settings", .timeLimit(.minutes(2)))
struct RabbitMQRPCConnectionsTests {
    @Test func rpcWithAnAMQPBrokerOpensTheRPCBackendAndReadsCelerysQueueSettings() async throws {
        guard let server = try await RabbitMQTestSupport.server() else { return }
        var configuration = try CeleriacConfiguration(environment: [
            "CELERY_BROKER_URL": server.url, "CELERY_RESULT_BACKEND": "rpc://", "CELERY_TASK_DEFAULT_QUEUE_TYPE": "quorum",
            "CELERY_TASK_DEFAULT_EXCHANGE_TYPE": "topic", "CELERY_RESULT_EXPIRES": "3600", "CELERY_RESULT_PERSISTENT": "true",
        ])
        configuration.taskDefaultQueue = RabbitMQTestSupport.uniqueQueue("conn")
        let connections = try await CeleriacConnections.open(configuration, logger: RabbitMQTestSupport.quiet)
        let broker = try #require(connections.broker as? RabbitMQBroker)
        let backend = try #require(connections.backend as? RPCResultBackend)
        #expect(broker.configuration.queueType == .quorum)
        #expect(broker.configuration.exchangeType == "topic")
        #expect(backend.configuration.resultExpires == .seconds(3600))
        #expect(backend.configuration.persistent)
        await connections.close()
    }

    @Test func rpcNeedsAnAMQPBroker() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("celeriac-rpc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = CeleriacConfiguration()
        configuration.brokerURL = "sqlite:///\(directory.path)/broker.db"
        configuration.resultBackend = "rpc://"
        let error = await #expect(throws: CeleriacError.self) { try await CeleriacConnections.open(configuration, logger: RabbitMQTestSupport.quiet) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("rpc://") == true)
    }

    @Test func badQueueSettingsAreClearErrors() async throws {
        #expect(throws: CeleriacError.self) { try CeleriacConfiguration(environment: ["CELERY_TASK_DEFAULT_QUEUE_TYPE": "stream"]) }
        guard let server = try await RabbitMQTestSupport.server() else { return }
        let configuration = try CeleriacConfiguration(environment: [
            "CELERY_BROKER_URL": server.url, "CELERY_TASK_DEFAULT_QUEUE_TYPE": "quorum", "CELERY_TASK_QUEUE_MAX_PRIORITY": "10",
        ])
        let error = await #expect(throws: CeleriacError.self) { try await CeleriacConnections.open(configuration, logger: RabbitMQTestSupport.quiet) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("quorum") == true)
    }
}
