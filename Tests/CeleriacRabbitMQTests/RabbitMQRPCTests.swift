import Celeriac
import CeleriacAMQP
import CeleriacRabbitMQ
import CeleriacTesting
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Testing

/// Runs an in-process Celeriac worker on `app` (its own broker connection) for the duration of `body`.
func runningSwiftWorker<T: Sendable>(
    _ app: CeleriacApp, queues: [String], hostname: String? = nil, _ body: () async throws -> T
) async throws -> T {
    let worker = Worker(
        app: app,
        configuration: Worker.Configuration(
            concurrency: 2, prefetchMultiplier: 2, queues: queues,
            hostname: hostname ?? "celery@\(queues.first ?? "rpc").\(UUID().uuidString.prefix(6).lowercased())", shutdownGracePeriod: .seconds(5),
            revocationRefreshInterval: .milliseconds(500), receiveTimeout: .milliseconds(300)),
        logger: RabbitMQTestSupport.quiet)
    let group = ServiceGroup(services: [worker], logger: RabbitMQTestSupport.quiet)
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            let value = try await body()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return value
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
    }
}

/// An app on its own RabbitMQ connection with the rpc:// backend.
func rpcApp(_ url: String, queue: String, brokerConfiguration: RabbitMQBroker.Configuration = .init()) async throws -> CeleriacApp {
    let broker = try RabbitMQBroker(url: url, configuration: brokerConfiguration)
    let backend = await RPCResultBackend(broker: broker)
    var configuration = CeleriacConfiguration()
    configuration.taskDefaultQueue = queue
    return CeleriacApp(configuration: configuration, broker: broker, backend: backend, logger: RabbitMQTestSupport.quiet)
}

/// Registers the tasks the rpc and quorum tests use, as the Python app (`rmq_rpc_app.py`) names them.
func registerTestTasks(_ app: CeleriacApp) {
    app.registry.register(name: "tests.add") { args, _, _ in
        .int((args.first?.intValue ?? 0) + (args.dropFirst().first?.intValue ?? 0))
    }
    app.registry.register(name: "tests.fail") { args, _, _ in
        throw TaskError(excType: "ValueError", excModule: "builtins", excMessage: [args.first ?? "failed"])
    }
    app.registry.register(name: "tests.tracked", options: TaskOptions(trackStarted: true)) { _, _, _ in
        try await Task.sleep(for: .milliseconds(300))
        return "tracked"
    }
}

/// The `rpc://` result backend between Celeriac clients and workers on a real RabbitMQ.
@Suite("rpc:// result backend", .timeLimit(.minutes(5)))
struct RabbitMQRPCTests {
    @Test func aSwiftClientGetsResultsFromASwiftWorkerAndOnlyThatClientDoes() async throws {
        guard let server = try await RabbitMQTestSupport.server() else { return }
        let queue = RabbitMQTestSupport.uniqueQueue("rpc")
        let worker = try await rpcApp(server.url, queue: queue)
        registerTestTasks(worker)
        let client = try await rpcApp(server.url, queue: queue)
        let stranger = try await rpcApp(server.url, queue: queue)
        try await runningSwiftWorker(worker, queues: [queue]) {
            let sum = try await client.send(name: "tests.add", args: [2, 3])
            #expect(try await sum.get(timeout: .seconds(30)) == .int(5))
            var sums: [AsyncResult<JSONValue>] = []
            for i in 0..<20 { sums.append(try await client.send(name: "tests.add", args: [.int(i), .int(i)])) }
            for (i, result) in sums.enumerated() { #expect(try await result.get(timeout: .seconds(30)) == .int(2 * i)) }

            let failing = try await client.send(name: "tests.fail", args: ["kaboom"])
            await #expect(throws: (any Error).self) { try await failing.get(timeout: .seconds(30)) }
            let failure = try #require(try await client.backend?.meta(for: failing.id))
            #expect(failure.status == .failure)
            #expect(failure.result.objectValue?["exc_type"] == "ValueError")
            #expect(failure.result.objectValue?["exc_message"] == ["kaboom"])

            // Results are per client: another process (its own reply queue) never sees them.
            #expect(try await stranger.backend?.meta(for: sum.id) == nil)
            #expect(try await stranger.backend?.waitForReady(taskID: sum.id, timeout: .milliseconds(300)) == nil)
            // Once read, the state stays with the client until forgotten.
            #expect(try await client.backend?.meta(for: sum.id)?.result == .int(5))
            try await client.backend?.forget(taskID: sum.id)
            #expect(try await client.backend?.meta(for: sum.id) == nil)
        }
        for app in [worker, client, stranger] {
            await app.backend?.close()
            await app.broker.close()
        }
    }

    @Test func aResultSentBeforeTheClientAsksIsWaitingInItsQueue() async throws {
        guard let server = try await RabbitMQTestSupport.server() else { return }
        let queue = RabbitMQTestSupport.uniqueQueue("rpclate")
        let worker = try await rpcApp(server.url, queue: queue)
        registerTestTasks(worker)
        let client = try await rpcApp(server.url, queue: queue)
        let sum = try await client.send(name: "tests.add", args: [40, 2])
        try await runningSwiftWorker(worker, queues: [queue]) {
            // The worker runs it before anyone consumes the reply queue: the queue was declared before the publish.
            let depth = await eventually(timeout: .seconds(20)) {
                (try? await worker.broker.queueDepths().first { $0.queue == queue }?.ready) == 0
            }
            #expect(depth)
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(try await client.backend?.meta(for: sum.id)?.result == .int(42))
        for app in [worker, client] {
            await app.backend?.close()
            await app.broker.close()
        }
    }

    @Test func theResultMessagesHaveCeleryShape() async throws {
        guard let server = try await RabbitMQTestSupport.server() else { return }
        let queue = RabbitMQTestSupport.uniqueQueue("rpcwire")
        let replyQueue = "reply-\(UUID().uuidString.lowercased())"
        let connection = try await AMQPConnection.open(configuration: try AMQPConfiguration(url: server.url), logger: RabbitMQTestSupport.quiet)
        let channel = try await connection.openChannel()
        try await channel.declareQueue(replyQueue, durable: true, autoDelete: false, arguments: ["x-expires": .int32(86_400_000)])

        let worker = try await rpcApp(server.url, queue: queue)
        registerTestTasks(worker)
        let sender = CeleriacApp(broker: try RabbitMQBroker(url: server.url), backend: nil, logger: RabbitMQTestSupport.quiet)
        var (message, _) = sender.makeMessage(name: "tests.tracked", args: [], kwargs: [:], options: CallOptions())
        message.properties.replyTo = replyQueue
        try await sender.publish(message, queue: queue)
        let id = message.headers.id

        var replies: [AMQPGetResult] = []
        try await runningSwiftWorker(worker, queues: [queue]) {
            _ = await eventually(timeout: .seconds(30)) {
                if let reply = try? await channel.get(queue: replyQueue, noAck: true) { replies.append(reply) }
                return replies.count >= 2
            }
        }
        try #require(replies.count == 2)
        for reply in replies {
            let properties = reply.delivery.properties
            #expect(reply.delivery.exchange == "")
            #expect(reply.delivery.routingKey == replyQueue)
            #expect(properties.correlationID == id)
            #expect(properties.contentType == "application/json")
            #expect(properties.contentEncoding == "utf-8")
            #expect(properties.deliveryMode == 1)
            #expect(properties.priority == 0)
            #expect(properties.headers == [:])
            #expect(properties.replyTo == nil)
        }
        let started = String(buffer: replies[0].delivery.body)
        let success = String(buffer: replies[1].delivery.body)
        #expect(started.hasPrefix("{\"status\": \"STARTED\", \"result\": {\"pid\": "), "\(started)")
        #expect(success.hasPrefix("{\"status\": \"SUCCESS\", \"result\": \"tracked\", \"traceback\": null, \"children\": [], \"date_done\": \""), "\(success)")
        #expect(success.hasSuffix("\"task_id\": \"\(id)\"}"), "\(success)")

        _ = try await channel.deleteQueue(replyQueue)
        await connection.close()
        await worker.backend?.close()
        await worker.broker.close()
        await sender.broker.close()
    }

    @Test func groupsAndChordsAreRefusedAsCeleryDoes() async throws {
        guard let server = try await RabbitMQTestSupport.server() else { return }
        let broker = try RabbitMQBroker(url: server.url)
        let backend = await RPCResultBackend(broker: broker)
        await #expect(throws: CeleriacError.self) { try await backend.saveGroup(id: "g", result: .null) }
        await #expect(throws: CeleriacError.self) { _ = try await backend.restoreGroup(id: "g") }
        let error = await #expect(throws: CeleriacError.self) { try await backend.setChordSize(groupID: "g", size: 2) }
        #expect(error?.message.contains("does not support chords") == true)
        #expect(try await backend.deleteExpired() == 0)
        await backend.close()
        await #expect(throws: CeleriacError.self) { _ = try await backend.meta(for: "x") }
        await broker.close()
    }
}
