import Celeriac
import CeleriacTesting
import Foundation
import Logging
import Testing

@Suite("Worker: bad input")
struct WorkerBadMessageTests {
    /// A valid envelope for `tests.add(2, 3)`, as a JSON object to break.
    static func envelope(_ h: WorkerHarness, id: String) -> JSONObject {
        var options = CallOptions()
        options.taskID = id
        let (message, _) = h.app.makeMessage(name: "tests.add", args: [2, 3], kwargs: [:], options: options)
        return message.envelope()
    }

    static func bytes(_ object: JSONObject) -> [UInt8] {
        Array(JSONValue.object(object).serialized(.python).utf8)
    }

    @Test func unknownTaskFailsWithNotRegisteredAndIsDeadLettered() async throws {
        let h = WorkerHarness()
        h.app.registry.register(addTask) { args, _ in args.x + args.y }
        let unknown = try await h.app.send(name: "tests.nope", args: [1])
        let good = try await h.app.delay(addTask, AddArguments(x: 2, y: 3))
        try await h.withWorker { _ in
            let meta = try await h.backend.waitForReady(taskID: unknown.id, timeout: .seconds(10))
            #expect(meta?.status == .failure)
            #expect(meta?.result == .object(["exc_type": "NotRegistered", "exc_message": ["tests.nope"], "exc_module": "celery.exceptions"]))
            #expect(meta?.traceback == nil)
            // The worker keeps running.
            #expect(try await good.get(timeout: .seconds(10)) == 5)
            #expect(await h.broker.waitUntil { $0.storedDeadLetters.count == 1 })
        }
        let letter = try #require(h.broker.storedDeadLetters.first)
        #expect(letter.taskID == unknown.id)
        #expect(letter.taskName == "tests.nope")
        #expect(letter.queue == "celery")
        #expect(letter.reason.contains("tests.nope"))
        #expect(letter.envelope == h.broker.published.first { $0.taskID == unknown.id }?.envelope)
        // Removed from the queue for good.
        #expect(h.broker.waiting(in: "celery").isEmpty)
        #expect(h.broker.unackedCount == 0)
    }

    /// The FAILURE stored for each kind of broken message, as Python Celery names the problem (`nil`: the
    /// task id cannot be read, so nothing is stored).
    static let expectedFailure: [String: (type: String, module: String)?] = [
        "notJSON": nil,
        "bodyNotJSON": ("DecodeError", "kombu.exceptions"),
        "bodyNotBase64": ("DecodeError", "kombu.exceptions"),
        "bodyNotAList": ("InvalidTaskError", "celery.exceptions"),
        "pickle": ("ContentDisallowed", "kombu.exceptions"),
        "noTaskHeader": ("InvalidTaskError", "celery.exceptions"),
    ]

    @Test(arguments: ["notJSON", "bodyNotJSON", "bodyNotBase64", "bodyNotAList", "pickle", "noTaskHeader"])
    func malformedEnvelopeIsDeadLetteredWithoutStoppingTheWorker(_ kind: String) async throws {
        let h = WorkerHarness()
        h.app.registry.register(addTask) { args, _ in args.x + args.y }
        let badID = UUID().uuidString.lowercased()
        var envelope = Self.envelope(h, id: badID)
        let raw: [UInt8]
        switch kind {
        case "notJSON":
            raw = Array("this is not JSON {".utf8)
        case "bodyNotJSON":
            envelope["body"] = .string(Data("[[2, 3], {}, {".utf8).base64EncodedString())
            raw = Self.bytes(envelope)
        case "bodyNotBase64":
            envelope["body"] = "%%% not base64 %%%"
            raw = Self.bytes(envelope)
        case "bodyNotAList":
            envelope["body"] = .string(Data(#"{"x": 1}"#.utf8).base64EncodedString())
            raw = Self.bytes(envelope)
        case "pickle":
            envelope["content-type"] = "application/x-python-serialize"
            envelope["body"] = .string(Data([0x80, 0x04, 0x95]).base64EncodedString())
            raw = Self.bytes(envelope)
        default:
            var headers = envelope["headers"]?.objectValue ?? [:]
            headers["task"] = nil
            envelope["headers"] = .object(headers)
            raw = Self.bytes(envelope)
        }
        try await h.broker.publish(raw, queue: "celery", priority: 0)
        let good = try await h.app.delay(addTask, AddArguments(x: 2, y: 3))
        try await h.withWorker { _ in
            let value = try await good.get(timeout: .seconds(10))
            #expect(value == 5)
            #expect(await h.broker.waitUntil { $0.storedDeadLetters.count == 1 && $0.unackedCount == 0 })
        }
        let letter = try #require(h.broker.storedDeadLetters.first)
        #expect(letter.envelope == raw)
        #expect(letter.queue == "celery")
        #expect(!letter.reason.isEmpty)
        #expect(h.broker.waiting(in: "celery").isEmpty)
        let expected = try #require(Self.expectedFailure[kind])
        if let expected {
            let meta = try #require(h.backend.current(badID))
            #expect(meta.status == .failure)
            #expect(meta.traceback == nil)
            let error = try #require(TaskError.stored(in: meta))
            #expect(error.excType == expected.type, "\(kind): \(error)")
            #expect(error.excModule == expected.module)
            #expect(error.excMessage.first?.stringValue.map { !$0.isEmpty } == true)
            #expect(letter.taskID == badID)
        } else {
            #expect(h.backend.current(badID) == nil)
        }
    }

    @Test func oversizedMessageFailsWithLimitExceededAndIsDeadLetteredWithItsIdentity() async throws {
        let h = WorkerHarness { $0.maxMessageSize = 4096 }
        h.app.registry.register(addTask) { args, _ in args.x + args.y }
        let logs = CapturedLogs()
        let bigID = UUID().uuidString.lowercased()
        var envelope = Self.envelope(h, id: bigID)
        var headers = envelope["headers"]?.objectValue ?? [:]
        headers["padding"] = .string(String(repeating: "x", count: 8000))
        envelope["headers"] = .object(headers)
        let raw = Self.bytes(envelope)
        try #require(raw.count > 4096)
        // Published straight to the broker: the app itself refuses to send a message over the limit.
        try await h.broker.publish(raw, queue: "celery", priority: 0)
        let good = try await h.app.delay(addTask, AddArguments(x: 2, y: 3))
        try await h.withWorker(logger: logs.logger()) { _ in
            #expect(try await good.get(timeout: .seconds(10)) == 5)
            #expect(await h.broker.waitUntil { $0.storedDeadLetters.count == 1 && $0.unackedCount == 0 })
            _ = try await h.backend.waitForReady(taskID: bigID, timeout: .seconds(10))
        }
        let meta = try #require(h.backend.current(bigID))
        #expect(meta.status == .failure)
        #expect(meta.traceback == nil)
        let error = try #require(TaskError.stored(in: meta))
        #expect(error.excType == "LimitExceeded")
        #expect(error.excModule == "kombu.exceptions")
        let text = try #require(error.excMessage.first?.stringValue)
        #expect(text.contains("\(raw.count) bytes") && text.contains("4096"), "\(text)")

        let letter = try #require(h.broker.storedDeadLetters.first)
        #expect(letter.taskID == bigID)
        #expect(letter.taskName == "tests.add")
        #expect(letter.envelope == raw)
        #expect(letter.reason.contains("4096"))

        let line = try #require(logs.matching("Received invalid task message").first)
        #expect(line.level == .error)
        #expect(line.metadata[LogKeys.taskID] == bigID)
        #expect(line.metadata[LogKeys.taskName] == "tests.add")
        #expect(line.metadata[LogKeys.queue] == "celery")
        #expect(line.metadata[LogKeys.messageID] == letter.id)
        #expect(line.metadata[LogKeys.error]?.contains("LimitExceeded") == true)
    }

    @Test func wrongArgumentTypesFailWithTypeErrorAndAreDeadLettered() async throws {
        let h = WorkerHarness()
        let ran = Probe<Int>()
        h.app.registry.register(addTask) { args, _ in
            ran.append(args.x)
            return args.x + args.y
        }
        let result = try await h.app.send(name: "tests.add", args: ["a", "b"])
        let meta = try await h.withWorker { _ in
            let meta = try await h.backend.waitForReady(taskID: result.id, timeout: .seconds(10))
            #expect(await h.broker.waitUntil { $0.storedDeadLetters.count == 1 })
            return meta
        }
        #expect(ran.count == 0)
        #expect(meta?.status == .failure)
        let error = try #require(TaskError.stored(in: meta))
        #expect(error.excType == "TypeError")
        #expect(error.excModule == "builtins")
        #expect(h.broker.storedDeadLetters.first?.taskID == result.id)
        #expect(h.broker.storedDeadLetters.first?.taskName == "tests.add")
    }

    @Test func tooManyArgumentsFailWithPythonsMessage() async throws {
        let h = WorkerHarness()
        h.app.registry.register(addTask) { args, _ in args.x + args.y }
        let result = try await h.app.send(name: "tests.add", args: [1, 2, 3])
        let meta = try await h.withWorker { _ in try await h.backend.waitForReady(taskID: result.id, timeout: .seconds(10)) }
        #expect(TaskError.stored(in: meta) == .typeError("tests.add() takes 2 positional arguments but 3 were given"))
    }

    @Test func deadLettersAreDroppedWhenTheWorkerDiscardsThem() async throws {
        let h = WorkerHarness()
        let unknown = try await h.app.send(name: "tests.nope")
        var configuration = WorkerHarness.configuration()
        configuration.keepDeadLetters = false
        let worker = try await h.withWorker(configuration) { worker in
            _ = try await h.backend.waitForReady(taskID: unknown.id, timeout: .seconds(10))
            #expect(await h.broker.waitUntilAcked(taskID: unknown.id))
            return worker
        }
        #expect(h.broker.storedDeadLetters.isEmpty)
        #expect(worker.counts.deadLettered == 1)
    }
}
