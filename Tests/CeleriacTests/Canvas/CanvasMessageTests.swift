import Celeriac
import CeleriacTesting
import Foundation
import Testing

/// The messages `apply` sends, against what Celery 5.7 sent for the same canvas
/// (`vectors/a04_chain`, `a05_group`, `a06_chord`).
@Suite("Canvas: messages as Celery sends them", .enabled(if: ProtocolVectors.shouldRun))
struct CanvasMessageTests {
    typealias T = CanvasTasks

    /// The messages Celery left in the `celery` list, in publish order (the list is LPUSHed).
    static func capturedMessages(_ vector: JSONValue) -> [JSONValue] {
        Array((vector["snapshot"]?["celery"]?["value"]?.arrayValue ?? []).reversed())
    }

    static func published(_ h: WorkerHarness) throws -> [TaskMessage] {
        try h.broker.published.map { try $0.message() }
    }

    @Test("chain(add.s(1, 2), add.s(3), add.s(4)): one message, the rest reversed in embed.chain")
    func chainMessage() async throws {
        guard let vector = try T.vector("a04_chain") else { return }
        let captured = try #require(Self.capturedMessages(vector).first)
        let firstID = try #require(captured["headers"]?["id"]?.stringValue)
        let embed = try #require(captured["__body_decoded__"]?.arrayValue?[2])
        let chain = try #require(embed["chain"]?.arrayValue)
        let thirdID = try #require(chain[0]["options"]?["task_id"]?.stringValue)
        let secondID = try #require(chain[1]["options"]?["task_id"]?.stringValue)

        let h = WorkerHarness()
        let workflow = T.add.s(1, 2).withID(firstID) | T.add.s(3).withID(secondID) | T.add.s(4).withID(thirdID)
        let result = try await h.app.apply(workflow)
        #expect(result.id == thirdID)
        let messages = try Self.published(h)
        #expect(messages.count == 1)
        let message = try #require(messages.first)
        #expect(message.headers.id == firstID)
        #expect(message.headers.rootID == firstID)
        #expect(message.headers.parentID == nil)
        #expect(message.headers.group == nil && message.headers.groupIndex == nil)
        #expect(message.headers.argsrepr == captured["headers"]?["argsrepr"]?.stringValue)
        #expect(message.headers.ignoreResult == false)
        #expect(JSONValue.array(message.args).python == "[1, 2]")
        #expect(JSONValue.object(message.embed.jsonObject()).python == T.withoutReplyTo(embed).python)
    }

    @Test("group(add.s(i, i) for i in range(3)): group id and index in the headers")
    func groupMessages() async throws {
        guard let vector = try T.vector("a05_group") else { return }
        let captured = Self.capturedMessages(vector)
        let groupID = try #require(vector["group_id"]?.stringValue)
        let ids = (vector["task_ids"]?.arrayValue ?? []).compactMap(\.stringValue)
        try #require(ids.count == 3)
        let h = WorkerHarness()
        let group = Group((0..<3).map { T.add.s(.int($0), .int($0)).withID(ids[$0]) }).withID(groupID)
        let result = try await h.app.apply(group)
        #expect(result.id == groupID)
        #expect(result.results.map(\.id) == ids)
        let messages = try Self.published(h)
        #expect(messages.count == 3)
        for (index, message) in messages.enumerated() {
            let match = captured.first { $0["headers"]?["id"]?.stringValue == message.headers.id }
            let expected = try #require(match)
            #expect(message.headers.id == ids[index])
            #expect(message.headers.group == groupID)
            #expect(message.headers.groupIndex == index)
            #expect(expected["headers"]?["group_index"] == .int(index))
            #expect(message.headers.rootID == message.headers.id)
            #expect(message.headers.argsrepr == expected["headers"]?["argsrepr"]?.stringValue)
            #expect(JSONValue.object(message.embed.jsonObject()).python == expected["__body_decoded__"]?.arrayValue?[2].python)
        }
    }

    @Test("chord([add.s(1, 1), add.s(2, 2)], tsum.s()): the body in embed.chord, the size set first")
    func chordMessages() async throws {
        guard let vector = try T.vector("a06_chord") else { return }
        let captured = Self.capturedMessages(vector)
        let groupID = try #require(vector["group_id"]?.stringValue)
        let bodyID = try #require(vector["body_task_id"]?.stringValue)
        let headerIDs = captured.compactMap { $0["headers"]?["id"]?.stringValue }
        let h = WorkerHarness()
        let chord = Chord(
            header: Group(T.add.s(1, 1).withID(headerIDs[0]), T.add.s(2, 2).withID(headerIDs[1])).withID(groupID),
            body: T.tsum.s().withID(bodyID))
        let result = try await h.app.apply(chord)
        #expect(result.id == bodyID)
        let messages = try Self.published(h)
        #expect(messages.map(\.headers.id) == headerIDs)
        for (index, message) in messages.enumerated() {
            let expected = captured[index]
            #expect(message.headers.group == groupID)
            #expect(message.headers.groupIndex == expected["headers"]?["group_index"]?.intValue)
            #expect(message.headers.rootID == message.headers.id)
            let embed = try #require(expected["__body_decoded__"]?.arrayValue?[2])
            #expect(JSONValue.object(message.embed.jsonObject()).python == T.withoutReplyTo(embed).python)
        }
        // The join knows the size before any header task can return.
        let join = try await h.backend.chordPartReturn(ChordPart(groupID: groupID, taskID: headerIDs[0], groupIndex: 0, state: .success, result: 2))
        #expect(join == .pending)
        let last = try await h.backend.chordPartReturn(ChordPart(groupID: groupID, taskID: headerIDs[1], groupIndex: 1, state: .success, result: 4))
        guard case .ready(let parts, _) = last else {
            Issue.record("the second part should complete the chord: \(last)")
            return
        }
        #expect(parts.map(\.result) == [2, 4])
    }

    @Test("signatures in Celery's dict form, as Python's json.dumps writes them")
    func dictForms() {
        let chord = Signature.chord(header: [T.add.s(1, 1).signature, T.add.s(2, 2).signature], body: Signature(task: "tasks.xsum"))
        #expect(chord.json().python == #"{"task": "celery.chord", "args": [], "kwargs": {"kwargs": {}, "header": [{"task": "tasks.add", "args": [1, 1], "kwargs": {}, "options": {}, "subtask_type": null, "immutable": false}, {"task": "tasks.add", "args": [2, 2], "kwargs": {}, "options": {}, "subtask_type": null, "immutable": false}], "body": {"task": "tasks.xsum", "args": [], "kwargs": {}, "options": {}, "subtask_type": null, "immutable": false}}, "options": {}, "subtask_type": "chord", "immutable": false}"#)
        let chain = (T.add.s(1, 2) | Signature.group([T.add.s(1).signature, T.add.s(2).signature])).signature
        #expect(chain.json().python == #"{"task": "celery.chain", "args": [], "kwargs": {"tasks": [{"task": "tasks.add", "args": [1, 2], "kwargs": {}, "options": {}, "subtask_type": null, "immutable": false}, {"task": "celery.group", "args": [], "kwargs": {"tasks": [{"task": "tasks.add", "args": [1], "kwargs": {}, "options": {}, "subtask_type": null, "immutable": false}, {"task": "tasks.add", "args": [2], "kwargs": {}, "options": {}, "subtask_type": null, "immutable": false}]}, "options": {}, "subtask_type": "group", "immutable": false}]}, "options": {}, "subtask_type": "chain", "immutable": false}"#)
        #expect(T.add.map([1, 2]).signature.json().python == #"{"task": "celery.map", "args": [], "kwargs": {"task": {"task": "tasks.add", "args": [], "kwargs": {}, "options": {}, "subtask_type": null, "immutable": false}, "it": [1, 2]}, "options": {}, "subtask_type": null, "immutable": true}"#)
        #expect(Signature.chunks(T.add.s().signature, [[1, 2], [3, 4]], size: 1).json().python == #"{"task": "celery.chunks", "args": [], "kwargs": {"task": {"task": "tasks.add", "args": [], "kwargs": {}, "options": {}, "subtask_type": null, "immutable": false}, "it": [[1, 2], [3, 4]], "n": 1}, "options": {}, "subtask_type": null, "immutable": true}"#)
        #expect(T.add.si(1, 2).signature.json().python == #"{"task": "tasks.add", "args": [1, 2], "kwargs": {}, "options": {}, "subtask_type": null, "immutable": true}"#)
    }

    @Test("partial arguments: the call's args first, kwargs merged with the call's winning, group_id kept")
    func merging() throws {
        let partial = Signature(task: "t", args: [3], kwargs: ["a": 1, "b": 2], options: ["queue": "q", "group_id": "g1"])
        let merged = partial.merged(args: [10], kwargs: ["b": 20, "c": 30], options: ["queue": "other", "group_id": "g2", "priority": 5])
        #expect(merged.args == [10, 3])
        #expect(merged.kwargs == ["a": 1, "b": 20, "c": 30])
        #expect(merged.options == ["queue": "other", "group_id": "g1", "priority": 5])
        let immutable = partial.asImmutable().merged(args: [10], kwargs: ["b": 20])
        #expect(immutable.args == [3] && immutable.kwargs == ["a": 1, "b": 2])
        let roundTrip = try Signature(json: Signature(task: "t", chordSize: 3).json())
        #expect(roundTrip.chordSize == 3)
        #expect(try typedSignature().signature.args == [2, 3])
    }

    private func typedSignature() throws -> TaskSignature<Int> {
        try T.add.signature(CanvasTasks.Pair(x: 2, y: 3))
    }

    @Test("result tuples as Celery's as_tuple() writes them")
    func resultTuples() throws {
        let node = ResultNode.group("g", [.task("a"), .group("h", [.task("b")])])
        #expect(node.tuple().python == #"[["g", null], [[["a", null], null], [["h", null], [[["b", null], null]]]]]"#)
        #expect(try ResultNode(tuple: node.tuple()) == node)
        #expect(node.taskIDs == ["a", "b"])
    }
}
