import Celeriac
import CeleriacRabbitMQ
import CeleriacTesting
import Foundation
import Testing

/// Real Python Celery 5.7 (py-amqp) and ``RabbitMQBroker`` on the same RabbitMQ queues.
@Suite("RabbitMQ broker with Python Celery", .timeLimit(.minutes(5)))
struct RabbitMQInteropTests {
    @Test func aTaskPublishedByPythonCeleryIsReceivedAndDecoded() async throws {
        guard let server = try await RabbitMQTestSupport.server(), let python = try RabbitMQTestSupport.requirePython() else { return }
        let queue = RabbitMQTestSupport.uniqueQueue("py")
        let run = try await RabbitMQTestSupport.runPython(
            python, ["rmq_client.py", queue], environment: ["CELERIAC_RMQ_BROKER": server.url])
        #expect(run.status == 0, "\(run.output)")
        let id = try #require(run.output.split(separator: "\n").first { $0.hasPrefix("TASK_ID ") }.map { String($0.dropFirst(8)) }, "\(run.output)")

        let broker = try RabbitMQBroker(url: server.url)
        let delivery = try #require(try await broker.receive(from: [queue], limit: 4, timeout: .seconds(10)).first)
        let task = try TaskMessage(envelope: delivery.envelope)
        #expect(task.headers.id == id)
        #expect(task.headers.task == "tests.add")
        #expect(task.args == [2, 3])
        #expect(task.kwargs == [:])
        #expect(task.headers.lang == "py")
        #expect(task.properties.correlationID == id)
        #expect(task.properties.deliveryMode == 2)
        #expect(task.properties.routingKey == queue)
        try await broker.ack([delivery.tag])
        await broker.close()
    }

    @Test func aTaskPublishedByCeleriacIsRunAndAckedByAPythonWorker() async throws {
        guard let server = try await RabbitMQTestSupport.server(), let python = try RabbitMQTestSupport.requirePython() else { return }
        let queue = RabbitMQTestSupport.uniqueQueue("pyworker")
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("celeriac-rmq-marker-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: marker) }
        let broker = try RabbitMQBroker(url: server.url)
        let app = CeleriacApp(broker: broker, backend: nil, logger: RabbitMQTestSupport.quiet)
        var options = CallOptions()
        options.queue = queue
        _ = try await app.send(name: "tests.add", args: [20, 22], options: options)

        let worker = Process()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("celeriac-rmq-worker-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        worker.executableURL = URL(fileURLWithPath: python)
        worker.arguments = ["-m", "celery", "-A", "rmq_tasks", "worker", "-P", "solo", "-Q", queue, "--without-gossip",
                            "--without-mingle", "--without-heartbeat", "-n", "py-\(queue)@localhost", "-l", "info"]
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONPATH"] = RabbitMQTestSupport.pythonDirectory
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        environment["CELERIAC_RMQ_BROKER"] = server.url
        environment["CELERIAC_RMQ_MARKER"] = marker
        worker.environment = environment
        worker.currentDirectoryURL = URL(fileURLWithPath: RabbitMQTestSupport.pythonDirectory)
        worker.standardOutput = handle
        worker.standardError = handle
        try worker.run()
        let ran = await eventually(timeout: .seconds(60), interval: .milliseconds(200)) {
            (try? String(contentsOfFile: marker, encoding: .utf8))?.contains("42") == true
        }
        worker.terminate()
        // Celery's solo worker sometimes takes longer than this to stop after SIGTERM; never leave it running.
        if await !eventually(timeout: .seconds(20), { !worker.isRunning }) {
            kill(worker.processIdentifier, SIGKILL)
            _ = await eventually(timeout: .seconds(5)) { !worker.isRunning }
        }
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(ran, "the Python worker did not run the task:\n\(output.suffix(4000))")
        #expect(output.contains("succeeded"), "\(output.suffix(4000))")
        // The worker acked it: nothing left, even after its connection closed.
        #expect(try await broker.queueDepths().first { $0.queue == queue } == QueueDepth(queue: queue, ready: 0, unacked: 0))
        await broker.close()
    }
}
