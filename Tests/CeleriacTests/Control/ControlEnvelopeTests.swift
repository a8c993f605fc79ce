import Foundation
import Testing

@testable import Celeriac

/// Celery's pidbox requests and replies, checked against every one a real Celery 5.7 client and worker sent in
/// the captured traffic (`PUBLISH /0.celery.pidbox`, `LPUSH <oid>.reply.celery.pidbox`).
@Suite("Remote control: pidbox envelopes", .enabled(if: ProtocolVectors.shouldRun))
struct ControlEnvelopeTests {
    /// `(command, key, envelope)` of every pidbox request and reply in the vectors.
    static func captured() throws -> [(command: String, key: String, envelope: String)] {
        var found: [(String, String, String)] = []
        for url in try ProtocolVectors.files(in: "vectors", suffix: ".wire.jsonl") {
            for line in try ProtocolVectors.lines(of: url) {
                guard case .array(let record) = try JSONValue.parse(String(line)), record.count == 5,
                    let command = record[2].stringValue, let key = record[3].stringValue, let envelope = record[4].stringValue
                else { continue }
                if command == "PUBLISH" && key.hasSuffix(".celery.pidbox") || command == "LPUSH" && key.hasSuffix(".reply.celery.pidbox") {
                    found.append((command, key, envelope))
                }
            }
        }
        return found
    }

    @Test func requestsRoundTripAndOurEnvelopesHaveCelerysShape() throws {
        guard ProtocolVectors.require() != nil else { return }
        let requests = try Self.captured().filter { $0.command == "PUBLISH" }
        #expect(requests.count >= 5)
        var methods = Set<String>()
        for captured in requests {
            let (body, headers) = try ControlEnvelope.decode(Array(captured.envelope.utf8))
            let request = try ControlRequest(body: body.objectValue ?? [:])
            methods.insert(request.method)
            // Re-encoded: the same body (key order included) and the same envelope keys and properties.
            #expect(JSONValue.object(request.body()) == body, "\(request.method)")
            let ours = try JSONValue.parse(ControlEnvelope.request(request, clock: headers["clock"]?.intValue ?? 0, timeout: 1))
            let theirs = try JSONValue.parse(captured.envelope)
            #expect(ours.objectValue?.keys == theirs.objectValue?.keys)
            #expect(ours.objectValue?["headers"]?.objectValue?.keys == theirs.objectValue?["headers"]?.objectValue?.keys)
            var ourProperties = ours.objectValue?["properties"]?.objectValue
            var theirProperties = theirs.objectValue?["properties"]?.objectValue
            ourProperties?["delivery_tag"] = nil
            theirProperties?["delivery_tag"] = nil
            #expect(ourProperties == theirProperties)
        }
        #expect(methods.isSuperset(of: ["ping", "revoke", "stats", "registered", "active"]), "\(methods)")
    }

    @Test func repliesDecodeAndOursMatchCelerys() throws {
        guard ProtocolVectors.require() != nil else { return }
        let replies = try Self.captured().filter { $0.command == "LPUSH" }
        #expect(!replies.isEmpty)
        for captured in replies {
            let (body, headers) = try ControlEnvelope.decode(Array(captured.envelope.utf8))
            let ticket = try #require(headers["ticket"]?.stringValue)
            let (hostname, value) = try #require(body.objectValue?.pairs.first)
            let routingKey = String(captured.key.dropLast(".reply.celery.pidbox".count))
            let ours = try JSONValue.parse(ControlEnvelope.reply(value, hostname: hostname, ticket: ticket, routingKey: routingKey, clock: headers["clock"]?.intValue ?? 0))
            let theirs = try JSONValue.parse(captured.envelope)
            #expect(ours.objectValue?["body"] == theirs.objectValue?["body"], "the body is byte-identical")
            #expect(ours.objectValue?["headers"] == theirs.objectValue?["headers"])
            var ourProperties = ours.objectValue?["properties"]?.objectValue
            var theirProperties = theirs.objectValue?["properties"]?.objectValue
            ourProperties?["delivery_tag"] = nil
            theirProperties?["delivery_tag"] = nil
            #expect(ourProperties == theirProperties)
        }
    }

    @Test func destinationsPickTheNodes() {
        #expect(ControlRequest(method: "ping").isFor("a@x"))
        #expect(ControlRequest(method: "ping", destination: ["a@x"]).isFor("a@x"))
        #expect(!ControlRequest(method: "ping", destination: ["b@x"]).isFor("a@x"))
        #expect(ControlRequest(method: "revoke").body()["ticket"] == nil, "a cast has no ticket or reply_to, as in kombu")
    }
}
