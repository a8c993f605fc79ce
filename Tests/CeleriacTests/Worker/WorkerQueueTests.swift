import Celeriac
import CeleriacTesting
import Foundation
import Testing

@Suite("Worker: queues")
struct WorkerQueueTests {
    /// `worker -Q a,b`: tasks from both queues run, a third queue is left alone.
    @Test func aWorkerConsumingTwoQueuesRunsTasksFromBothAndNoneFromAThird() async throws {
        let h = WorkerHarness()
        let ran = Probe<String>()
        h.app.registry.register(name: "tests.where") { _, _, context in
            ran.append(context.queue)
            return .string(context.queue)
        }
        var sent: [String: [AsyncResult<JSONValue>]] = [:]
        for queue in ["a", "b", "c", "a", "b", "c"] {
            sent[queue, default: []].append(try await h.app.send(name: "tests.where", options: CallOptions(queue: queue)))
        }
        try await h.withWorker(WorkerHarness.configuration(concurrency: 2, queues: ["a", "b"])) { _ in
            for queue in ["a", "b"] {
                for result in sent[queue] ?? [] {
                    #expect(try await result.get(timeout: .seconds(10)) == .string(queue))
                }
            }
            // Give the worker time to (wrongly) take from "c" while it polls "a" and "b".
            try await Task.sleep(for: .milliseconds(300))
        }
        #expect(ran.all.sorted() == ["a", "a", "b", "b"])
        #expect(h.broker.waiting(in: "c").count == 2)
        for result in sent["c"] ?? [] {
            #expect(h.backend.current(result.id) == nil)
            #expect(h.broker.events(taskID: result.id).allSatisfy { $0.kind == .published })
        }
    }
}
