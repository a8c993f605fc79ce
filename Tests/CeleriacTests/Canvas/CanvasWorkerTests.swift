import Celeriac
import CeleriacTesting
import Foundation
import Testing

/// Chains, groups, chords and Celery's built-in tasks run by a real ``Worker`` on the in-memory fakes.
@Suite("Canvas: workflows run by a worker")
struct CanvasWorkerTests {
    typealias T = CanvasTasks

    static func harness(collect: Probe<[JSONValue]>? = nil) -> WorkerHarness {
        let h = WorkerHarness()
        T.register(h.app.registry, collect: collect)
        return h
    }

    static let config = WorkerHarness.configuration(concurrency: 4)

    @Test("a chain passes each result on: add(1, 2) | add(3) | add(4) == 10; parents and roots as Celery sets them")
    func chain() async throws {
        let h = Self.harness()
        let result = try await h.app.apply(T.add.s(1, 2) | T.add.s(3) | T.add.s(4))
        let value = try await h.withWorker(Self.config) { _ in try await result.get(timeout: .seconds(10)) }
        #expect(value == 10)
        let messages = try h.broker.published.map { try $0.message() }
        #expect(messages.count == 3)
        let root = messages[0].headers.id
        #expect(messages.allSatisfy { $0.headers.rootID == root })
        #expect(messages[1].headers.parentID == messages[0].headers.id)
        #expect(messages[2].headers.parentID == messages[1].headers.id)
        #expect(messages[1].headers.argsrepr == "(3, 3)")
    }

    @Test("partial args: the parent's result first; .si() ignores it; kwargs merged")
    func partialArguments() async throws {
        let calls = Probe<[JSONValue]>()
        let h = Self.harness(collect: calls)
        let collect = Signature(task: "tests.collect", args: [7])
        let fixed = Signature(task: "tests.collect", args: ["fixed"], immutable: true)
        let result = try await h.app.apply(T.add.s(1, 2) | collect | fixed)
        let value = try await h.withWorker(Self.config) { _ in try await result.get(timeout: .seconds(10)) }
        #expect(value == ["fixed"])
        #expect(calls.all == [[3, 7], ["fixed"]])
    }

    @Test("a group's results in order; saved and restored as Celery's GroupResult")
    func group() async throws {
        let h = Self.harness()
        let group = try await h.app.apply(Group((0..<5).map { T.add.s(.int($0), .int($0)) }))
        try await group.save()
        let values = try await h.withWorker(Self.config) { _ in try await group.get(timeout: .seconds(10)) }
        #expect(values == [0, 2, 4, 6, 8])
        let restored = try #require(try await GroupResult<Int>.restore(id: group.id, app: h.app))
        #expect(restored.children == group.children)
        #expect(try await restored.get(timeout: .seconds(1)) == [0, 2, 4, 6, 8])
        #expect(try await restored.completedCount() == 5)
        #expect(try await restored.successful())
        try await restored.delete()
        #expect(try await GroupResult<Int>.restore(id: group.id, app: h.app) == nil)
    }

    @Test("a chord's body gets the header's results in header order")
    func chord() async throws {
        let h = Self.harness()
        let chord = Chord(header: Group((1...10).map { T.add.s(.int($0), .int($0)) }), body: Signature(task: "tests.collect"))
        let result = try await h.app.apply(chord)
        let value = try await h.withWorker(Self.config) { _ in try await result.get(timeout: .seconds(10)) }
        #expect(value == [.array((1...10).map { .int($0 * 2) })])
        let body = try #require(try h.publishedMessages(of: result.id).first)
        #expect(body.headers.group != nil)
        #expect(body.headers.argsrepr?.hasPrefix("([2, 4, 6") == true)
        let tsum = try await h.app.apply(Chord(header: Group(T.add.s(1, 1), T.add.s(2, 2)), body: T.tsum.s()))
        #expect(try await h.withWorker(Self.config) { _ in try await tsum.get(timeout: .seconds(10)) } == 6)
    }

    @Test("a failing header task fails the body with Celery's ChordError; nothing hangs")
    func chordFailure() async throws {
        let h = Self.harness()
        let failing = T.fail.s("boom")
        let chord = Chord(header: [T.add.s(1, 1).signature, failing.withID("header-fail").signature], body: T.tsum.s())
        let result = try await h.app.apply(chord)
        let error = try await h.withWorker(Self.config) { _ in
            await #expect(throws: TaskFailedError.self) { try await result.get(timeout: .seconds(10)) }
        }
        let failure = try #require(error)
        #expect(failure.error.excType == "ChordError")
        #expect(failure.error.excModule == "celery.exceptions")
        #expect(failure.error.excMessage == [.string("Dependency header-fail raised ValueError('boom')")])
        #expect(try h.publishedMessages(of: result.id).isEmpty, "the body must not be sent")
    }

    @Test("a failed chord calls the body's link_error with the body's id, and fails the chain after it")
    func chordFailureErrbacksAndChain() async throws {
        let calls = Probe<[JSONValue]>()
        let h = Self.harness(collect: calls)
        let body = T.tsum.s().set("link_error", [Signature(task: "tests.collect", args: ["errback"]).json()]).withID("chord-body")
        let chord = Chord(header: [T.add.s(1, 1).signature, T.fail.s("boom").signature], body: body)
        let result = try await h.app.apply(chord | T.add.s(1).withID("after-chord"))
        #expect(result.id == "after-chord")
        let error = try await h.withWorker(Self.config) { _ in
            #expect(await calls.waitForCount(1, timeout: .seconds(10)))
            return await #expect(throws: TaskFailedError.self) { try await result.get(timeout: .seconds(10)) }
        }
        #expect(calls.all == [["chord-body", "errback"]])
        #expect(error?.error.excType == "ChordError")
        #expect(h.backend.current("chord-body")?.status == .failure)
    }

    @Test("a revoked header task fails the chord too")
    func chordRevoked() async throws {
        let h = Self.harness()
        try await h.app.revoke(taskID: "revoked-member")
        let chord = Chord(header: [T.add.s(1, 1).signature, T.add.s(2, 2).withID("revoked-member").signature], body: T.tsum.s())
        let result = try await h.app.apply(chord)
        let error = try await h.withWorker(Self.config) { _ in
            await #expect(throws: TaskFailedError.self) { try await result.get(timeout: .seconds(10)) }
        }
        #expect(error?.error.excMessage == [.string("Dependency revoked-member raised TaskRevokedError('revoked')")])
    }

    @Test("a failed chain step fails the steps after it (Celery's _fail_chain)")
    func chainFailure() async throws {
        let h = Self.harness()
        let result = try await h.app.apply(T.add.s(1, 2) | Signature(task: "tests.boom") | T.add.s(4))
        let error = try await h.withWorker(Self.config) { _ in
            await #expect(throws: TaskFailedError.self) { try await result.get(timeout: .seconds(10)) }
        }
        #expect(error?.error.excType == "ValueError")
    }

    @Test("a chord inside a chain: add(1, 1) | chord([add(1), add(2)], tsum) | add(10)")
    func chordInChain() async throws {
        let h = Self.harness()
        let chord = Chord(header: Group(T.add.s(1), T.add.s(2)), body: T.tsum.s())
        let result = try await h.app.apply(T.add.s(1, 1) | chord | T.add.s(10))
        // (2+1) + (2+2) = 7, + 10
        #expect(try await h.withWorker(Self.config) { _ in try await result.get(timeout: .seconds(10)) } == 17)
    }

    @Test("a group followed by a task in a chain becomes a chord")
    func groupThenTask() async throws {
        let h = Self.harness()
        let result = try await h.app.apply(T.add.s(1, 1) | Group(T.add.s(1), T.add.s(2)) | T.tsum.s())
        #expect(try await h.withWorker(Self.config) { _ in try await result.get(timeout: .seconds(10)) } == 7)
    }

    @Test("a group of chains and a chain ending in a group")
    func nesting() async throws {
        let h = Self.harness()
        let groupOfChains = try await h.app.apply(Group(T.add.s(1, 1) | T.add.s(2), T.add.s(3, 3) | T.add.s(4)))
        let node = try await h.app.applyCanvas((T.add.s(1, 1) | Group(T.add.s(1), T.add.s(2))).signature)
        let endsInGroup = GroupResult<Int>(node: node, app: h.app)
        let (first, second) = try await h.withWorker(Self.config) { _ in
            (try await groupOfChains.get(timeout: .seconds(10)), try await endsInGroup.get(timeout: .seconds(10)))
        }
        #expect(first == [4, 10])
        #expect(second == [3, 4])
    }

    @Test("celery.map, celery.starmap and chunks run on the worker's built-ins")
    func builtins() async throws {
        let h = Self.harness()
        let mapped = try await h.app.apply(T.tsum.map([[1, 2], [3, 4, 5]]))
        let starmapped = try await h.app.apply(T.add.starmap([[1, 2], [3, 4]]))
        let chunks = try await h.app.apply(T.add.chunks([[1, 1], [2, 2], [3, 3]], size: 2))
        let byName = try await h.app.send(name: "celery.chunks", kwargs: ["task": T.add.s().signature.json(), "it": [[5, 5], [6, 6]], "n": 1])
        let values = try await h.withWorker(Self.config) { _ in
            (try await mapped.get(timeout: .seconds(10)), try await starmapped.get(timeout: .seconds(10)), try await chunks.get(timeout: .seconds(10)),
             try await byName.get(timeout: .seconds(10)))
        }
        #expect(values.0 == [3, 12])
        #expect(values.1 == [3, 7])
        #expect(values.2 == [[2, 4], [6]])
        let node = try ResultNode(tuple: values.3)
        let parts = try await h.withWorker(Self.config) { _ in try await GroupResult<[Int]>(node: node, app: h.app).get(timeout: .seconds(10)) }
        #expect(parts == [[10], [12]])
    }
}
