import CeleriacTesting
import Foundation
import Logging
import Synchronization
import Testing

@testable import Celeriac

/// Celery's event envelope and fields, checked against every event a real Celery 5.7 worker and client
/// published in the captured traffic (`PUBLISH /0.celeryev/...`).
@Suite("Events: envelopes and fields", .enabled(if: ProtocolVectors.shouldRun))
struct EventEnvelopeTests {
    /// Every `PUBLISH /0.celeryev/<rk>` in the vectors: the routing key and the envelope text.
    static func capturedEvents() throws -> [(routingKey: String, envelope: String)] {
        var found: [(String, String)] = []
        for url in try ProtocolVectors.files(in: "vectors", suffix: ".wire.jsonl") {
            for line in try ProtocolVectors.lines(of: url) {
                guard case .array(let record) = try JSONValue.parse(String(line)), record.count == 5,
                    record[2].stringValue == "PUBLISH", let channel = record[3].stringValue, channel.hasPrefix("/0.celeryev/"),
                    let envelope = record[4].stringValue
                else { continue }
                found.append((String(channel.dropFirst("/0.celeryev/".count)), envelope))
            }
        }
        return found
    }

    @Test func everyCapturedEventDecodesAndOurEnvelopeHasCelerysShape() throws {
        guard ProtocolVectors.require() != nil else { return }
        let captured = try Self.capturedEvents()
        #expect(captured.count >= 10, "the vectors hold worker and task events")
        var types = Set<String>()
        for (routingKey, text) in captured {
            let events = try EventEnvelope.decode(Array(text.utf8))
            #expect(!events.isEmpty)
            if routingKey == "task.multi" {
                let allTaskEvents = events.allSatisfy { $0.isTaskEvent }
                #expect(allTaskEvents)
            } else {
                #expect(events.count == 1 && events[0].routingKey == routingKey, "\(routingKey)")
            }
            for event in events { types.insert(event.type) }
            // Our envelope for the same events: the same keys in the same order, the same properties.
            let ours = try JSONValue.parse(EventEnvelope.encode(events, hostname: events[0].hostname ?? "", routingKey: routingKey))
            let theirs = try JSONValue.parse(text)
            #expect(ours.objectValue?.keys == theirs.objectValue?.keys)
            var ourProperties = ours.objectValue?["properties"]?.objectValue
            var theirProperties = theirs.objectValue?["properties"]?.objectValue
            ourProperties?["delivery_tag"] = nil
            theirProperties?["delivery_tag"] = nil
            #expect(ourProperties == theirProperties, "\(routingKey)")
            #expect(ours.objectValue?["headers"] == theirs.objectValue?["headers"])
            #expect(try EventEnvelope.decode(JSONValue.object(ours.objectValue ?? [:]).serializedBytes(.python)) == events)
        }
        #expect(types.isSuperset(of: ["worker-online", "worker-heartbeat", "task-received", "task-started", "task-succeeded"]), "\(types)")
    }

    @Test func workerEventsCarryTheFieldsCeleryWritesInItsOrder() throws {
        guard ProtocolVectors.require() != nil else { return }
        let online = try #require(try Self.capturedEvents().first { $0.routingKey == "worker.online" })
        let theirs = try #require(try EventEnvelope.decode(Array(online.envelope.utf8)).first)
        let dispatcher = EventDispatcher(transport: NullTransport(), hostname: "w1@cap", taskEvents: false, logger: Logger(label: "t"))
        let ours = dispatcher.prepare(.worker("online", active: 0, processed: 0))
        #expect(ours.fields.keys == theirs.fields.keys, "Flower reads these fields")
        #expect(ours.fields["sw_ident"] == "celeriac" && ours.fields["freq"] == .double(2))
        #expect(ours.fields["loadavg"]?.arrayValue?.count == 3)
    }

    @Test func taskEventsMatchCelerysFields() throws {
        guard ProtocolVectors.require() != nil else { return }
        var theirs: [String: CeleryEvent] = [:]
        for (_, envelope) in try Self.capturedEvents() {
            for event in try EventEnvelope.decode(Array(envelope.utf8)) where event.isTaskEvent { theirs[event.type] = theirs[event.type] ?? event }
        }
        let dispatcher = EventDispatcher(transport: NullTransport(), hostname: "w1@cap", taskEvents: true, logger: Logger(label: "t"))
        var message = TaskMessage(headers: TaskHeaders(task: "tasks.add", id: "id-1"), properties: MessageProperties(), args: [2, 3], kwargs: [:])
        message.headers.argsrepr = "(2, 3)"
        message.headers.kwargsrepr = "{}"
        let ours: [CeleryEvent] = [
            .taskReceived(message), .taskStarted(id: "id-1"), .taskSucceeded(id: "id-1", result: 5, runtime: 0.01),
            .taskFailed(id: "id-1", error: .valueError("boom"), traceback: "Traceback"),
            .taskRetried(id: "id-1", error: .keyError("k"), traceback: "Traceback"), .taskRevoked(id: "id-1"),
        ].map(dispatcher.prepare)
        for event in ours {
            guard let reference = theirs[event.type] else { continue }
            #expect(Set(event.fields.keys) == Set(reference.fields.keys), "\(event.type): ours \(event.fields.keys) vs Celery's \(reference.fields.keys)")
        }
        #expect(ours[2].fields["result"] == "5", "results are repr strings")
        #expect(ours[3].fields["exception"] == "ValueError('boom')")
        #expect(ours.map { $0.fields["clock"]?.intValue ?? 0 } == Array(1...6), "a Lamport clock")
    }

    @Test func taskEventsAreBatchedAndOnlySentWhenEnabled() async throws {
        let transport = RecordingTransport()
        let dispatcher = EventDispatcher(transport: transport, hostname: "w@x", taskEvents: false, logger: Logger(label: "t"))
        dispatcher.send(.taskStarted(id: "a"))
        await dispatcher.flush()
        #expect(transport.published.isEmpty, "task events are off by default")
        dispatcher.taskEventsEnabled = true
        for id in ["a", "b", "c"] { dispatcher.send(.taskStarted(id: id)) }
        await dispatcher.flush()
        await dispatcher.sendNow(.worker("heartbeat", active: 1, processed: 2))
        let published = transport.published
        #expect(published.map(\.routingKey) == ["task.multi", "worker.heartbeat"])
        #expect(try EventEnvelope.decode(published[0].envelope).map(\.uuid) == ["a", "b", "c"])
    }
}

/// A transport that drops everything.
struct NullTransport: EventTransport {
    func publishEvent(_ envelope: [UInt8], routingKey: String) async throws {}
    func eventEnvelopes() async throws -> AsyncThrowingStream<[UInt8], any Error> { AsyncThrowingStream { $0.finish() } }
}

/// A transport that records what was published.
final class RecordingTransport: EventTransport {
    private let state = Mutex<[(envelope: [UInt8], routingKey: String)]>([])
    var published: [(envelope: [UInt8], routingKey: String)] { state.withLock { $0 } }
    func publishEvent(_ envelope: [UInt8], routingKey: String) async throws { state.withLock { $0.append((envelope, routingKey)) } }
    func eventEnvelopes() async throws -> AsyncThrowingStream<[UInt8], any Error> { AsyncThrowingStream { $0.finish() } }
}
