import Celeriac
import CeleriacTesting
import Foundation
import Testing

@Suite("Worker: callbacks, errbacks and chains")
struct WorkerCallbackTests {
    /// A task that records the arguments it was called with.
    static func registerCollector(_ h: WorkerHarness) -> Probe<[JSONValue]> {
        let calls = Probe<[JSONValue]>()
        h.app.registry.register(name: "tests.collect") { args, _, _ in
            calls.append(args)
            return .null
        }
        return calls
    }

    @Test func linkCallbackGetsTheResultPrepended() async throws {
        let h = WorkerHarness()
        h.app.registry.register(addTask) { args, _ in args.x + args.y }
        let calls = Self.registerCollector(h)
        let options = CallOptions(link: [Signature(task: "tests.collect", args: [10])])
        let result = try await h.app.applyAsync(addTask, AddArguments(x: 2, y: 3), options: options)
        try await h.withWorker { _ in
            #expect(await calls.waitForCount(1))
        }
        #expect(calls.all == [[5, 10]])
        let callback = try #require(try h.broker.published.map { try $0.message() }.first { $0.headers.task == "tests.collect" })
        #expect(callback.headers.parentID == result.id)
        #expect(callback.headers.rootID == result.id)
        #expect(callback.headers.id != result.id)
    }

    @Test func immutableLinkCallbackKeepsItsArguments() async throws {
        let h = WorkerHarness()
        h.app.registry.register(addTask) { args, _ in args.x + args.y }
        let calls = Self.registerCollector(h)
        let options = CallOptions(link: [Signature(task: "tests.collect", args: [10], immutable: true)])
        try await h.app.applyAsync(addTask, AddArguments(x: 2, y: 3), options: options)
        try await h.withWorker { _ in
            #expect(await calls.waitForCount(1))
        }
        #expect(calls.all == [[10]])
    }

    @Test func linkIsNotCalledOnFailureAndLinkErrorGetsTheTaskID() async throws {
        let h = WorkerHarness()
        h.app.registry.register(name: "tests.fail") { _, _, _ in throw TaskError.valueError("boom") }
        let calls = Self.registerCollector(h)
        let options = CallOptions(
            link: [Signature(task: "tests.collect", args: ["success"])],
            linkError: [Signature(task: "tests.collect", args: ["errback"])])
        let result = try await h.app.send(name: "tests.fail", options: options)
        try await h.withWorker { _ in
            #expect(await calls.waitForCount(1))
            try await h.fence()
        }
        #expect(calls.all == [[.string(result.id), "errback"]])
    }

    @Test func chainSendsTheNextTaskWithTheRemainingChain() async throws {
        let h = WorkerHarness()
        h.app.registry.register(addTask) { args, _ in args.x + args.y }
        let second = "chain-second-\(UUID().uuidString.lowercased())"
        let third = "chain-third-\(UUID().uuidString.lowercased())"
        // add(1, 2) | add(3) | add(4): the chain is stored in reverse, next task last.
        let chain: [JSONValue] = [
            Signature(task: "tests.add", args: [4], options: ["task_id": .string(third)]).json(),
            Signature(task: "tests.add", args: [3], options: ["task_id": .string(second)]).json(),
        ]
        var (first, queue) = h.app.makeMessage(name: "tests.add", args: [1, 2], kwargs: [:], options: CallOptions())
        first.embed.chain = chain
        try await h.app.publish(first, queue: queue)
        let last = h.app.asyncResult(id: third, as: Int.self)
        let value = try await h.withWorker { _ in try await last.get(timeout: .seconds(10)) }
        #expect(value == 10)
        #expect(try await h.app.asyncResult(id: first.headers.id, as: Int.self).get(timeout: .zero) == 3)
        #expect(try await h.app.asyncResult(id: second, as: Int.self).get(timeout: .zero) == 6)

        let secondMessage = try #require(try h.publishedMessages(of: second).first)
        #expect(secondMessage.args == [3, 3])
        #expect(secondMessage.embed.chain == [chain[0]])
        #expect(secondMessage.headers.parentID == first.headers.id)
        #expect(secondMessage.headers.rootID == first.headers.id)
        let thirdMessage = try #require(try h.publishedMessages(of: third).first)
        #expect(thirdMessage.args == [6, 4])
        #expect(thirdMessage.embed.chain == [])
        #expect(thirdMessage.headers.parentID == second)
        #expect(thirdMessage.headers.rootID == first.headers.id)
    }
}
