import Celeriac
import CeleriacRabbitMQ
import CeleriacTesting
import Foundation
import Synchronization
import Testing

/// `acks_late` and a lost worker on RabbitMQ: the message the worker held unacknowledged comes back as soon as its
/// connection is gone, whatever `reject_on_worker_lost` says (a Celeriac worker has no pool child to lose).
@Suite("Lost workers on RabbitMQ", .timeLimit(.minutes(3)))
struct RabbitMQWorkerLostTests {
    @Test(arguments: [false, true])
    func anAcksLateTaskWhoseWorkerIsLostRunsAgainOnAnotherWorker(rejectOnWorkerLost: Bool) async throws {
        guard let server = try await RabbitMQTestSupport.server() else { return }
        let queue = RabbitMQTestSupport.uniqueQueue("lost")
        let runs = Mutex<[String]>([])
        func register(_ app: CeleriacApp, as name: String) {
            app.registry.register(name: "tests.slow", options: TaskOptions(acksLate: true, rejectOnWorkerLost: rejectOnWorkerLost)) { _, _, context in
                runs.withLock { $0.append("\(name) redelivered=\(context.redelivered)") }
                try await Task.sleep(for: .seconds(2))
                return .string("done by \(name)")
            }
        }
        let client = try await rpcApp(server.url, queue: queue)
        let first = try await rpcApp(server.url, queue: queue)
        register(first, as: "first")
        let second = try await rpcApp(server.url, queue: queue)
        register(second, as: "second")

        let result = try await client.send(name: "tests.slow")
        try await runningSwiftWorker(first, queues: [queue], hostname: "celery@first") {
            let started = await eventually(timeout: .seconds(20)) { runs.withLock { !$0.isEmpty } }
            #expect(started)
            // The worker's connection dies while the task runs (as when the process is killed).
            await first.broker.close()
        }
        try await runningSwiftWorker(second, queues: [queue], hostname: "celery@second") { () async throws -> Void in
            #expect(try await result.get(timeout: .seconds(30)) == .string("done by second"))
        }
        #expect(runs.withLock { $0 } == ["first redelivered=false", "second redelivered=true"])
        #expect(try await second.broker.queueDepths().first { $0.queue == queue } == QueueDepth(queue: queue, ready: 0, unacked: 0))
        for app in [client, first, second] {
            await app.backend?.close()
            await app.broker.close()
        }
    }
}
