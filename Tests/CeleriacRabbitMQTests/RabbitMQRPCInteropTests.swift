import Celeriac
import CeleriacRabbitMQ
import CeleriacTesting
import Foundation
import Testing

/// The `rpc://` backend between real Python Celery 5.7 and Celeriac, both directions.
@Suite("rpc:// with Python Celery", .timeLimit(.minutes(5)))
struct RabbitMQRPCInteropTests {
    @Test func aPythonClientUsingRPCGetsResultsFromASwiftWorker() async throws {
        guard let server = try await RabbitMQTestSupport.server(), let python = try RabbitMQTestSupport.requirePython() else { return }
        let queue = RabbitMQTestSupport.uniqueQueue("pyrpc")
        let worker = try await rpcApp(server.url, queue: queue)
        registerTestTasks(worker)
        let run = try await runningSwiftWorker(worker, queues: [queue]) {
            try await RabbitMQTestSupport.runPython(
                python, ["rmq_rpc_client.py", "basic"], environment: ["CELERIAC_RMQ_BROKER": server.url, "CELERIAC_RMQ_QUEUE": queue],
                timeout: .seconds(120))
        }
        #expect(run.status == 0, "\(run.output)")
        let results = RabbitMQTestSupport.resultLines(run.output)
        let add = try #require(RabbitMQTestSupport.result(results, kind: "add"), "\(run.output)")
        #expect(add["value"] as? Int == .some(5))
        #expect(add["state"] as? String == "SUCCESS")
        let fail = try #require(RabbitMQTestSupport.result(results, kind: "fail"), "\(run.output)")
        #expect(fail["error"] as? String == "ValueError", "\(run.output)")
        #expect(fail["message"] as? String == "kaboom")
        #expect(fail["state"] as? String == "FAILURE")
        let many = try #require(RabbitMQTestSupport.result(results, kind: "many"), "\(run.output)")
        #expect(many["values"] as? [Int] == [0, 2, 4, 6, 8])
        await worker.backend?.close()
        await worker.broker.close()
    }

    @Test func aSwiftClientUsingRPCGetsResultsFromAPythonWorker() async throws {
        guard let server = try await RabbitMQTestSupport.server(), let python = try RabbitMQTestSupport.requirePython() else { return }
        let queue = RabbitMQTestSupport.uniqueQueue("swrpc")
        let worker = try await RabbitMQPythonWorker(python: python, broker: server.url, queue: queue)
        defer { worker.stop() }
        let client = try await rpcApp(server.url, queue: queue)
        let sum = try await client.send(name: "tests.add", args: [20, 22])
        #expect(try await sum.get(timeout: .seconds(60)) == .int(42), "\(worker.output.suffix(3000))")
        var sums: [AsyncResult<JSONValue>] = []
        for i in 0..<5 { sums.append(try await client.send(name: "tests.add", args: [.int(i), 100])) }
        for (i, result) in sums.enumerated() { #expect(try await result.get(timeout: .seconds(60)) == .int(100 + i)) }

        let failing = try await client.send(name: "tests.fail", args: ["boom"])
        await #expect(throws: (any Error).self) { try await failing.get(timeout: .seconds(60)) }
        let meta = try #require(try await client.backend?.meta(for: failing.id))
        #expect(meta.status == .failure)
        #expect(meta.result.objectValue?["exc_type"] == "ValueError")
        #expect(meta.result.objectValue?["exc_message"] == ["boom"])
        #expect(meta.traceback?.contains("ValueError: boom") == true, "\(meta.traceback ?? "no traceback")")
        worker.stop()
        await client.backend?.close()
        await client.broker.close()
    }
}
