import Foundation
import Testing

@testable import Celeriac

/// The task messages kombu's SQLAlchemy transport stored (`vectors-sql/01-*.sql`, `04-*.sql`: `kombu_message.payload`,
/// the same kombu envelope as on Redis), decoded and encoded again.
@Suite("Celery protocol vectors: kombu-sqla payloads", .enabled(if: ProtocolVectors.shouldRun))
struct CelerySQLVectorTests {
    /// Every distinct payload in the dumps (the commented dump repeats rows of the final one).
    static func distinctPayloads() throws -> [ProtocolVectors.SQLPayload] {
        var seen: Set<String> = []
        return try ProtocolVectors.sqlPayloads().filter { seen.insert($0.text).inserted }
    }

    @Test func taskPayloadsRoundTripWithTheSameFields() throws {
        guard ProtocolVectors.require() != nil else { return }
        let all = try ProtocolVectors.sqlPayloads()
        #expect(Set(all.map(\.file)).count == 2, "\(Set(all.map(\.file)))")
        var names: [String: Int] = [:]
        var retried = 0
        var restored = 0
        var sameBytes = 0
        var tasks = 0
        for payload in try Self.distinctPayloads() {
            let original = try #require(try JSONValue.parse(payload.text).objectValue, "\(payload)")
            let headers = original["headers"]?.objectValue ?? [:]
            guard headers["task"] != nil else { continue }  // non-task payloads: refusedNonTaskPayloads
            tasks += 1
            let message: TaskMessage
            do {
                message = try TaskMessage(envelope: Array(payload.text.utf8))
            } catch {
                Issue.record("\(payload): \(error)")
                continue
            }
            names[message.headers.task, default: 0] += 1
            if message.headers.retries > 0 { retried += 1 }

            // Every envelope field comes back with its value: headers, properties (delivery_info, priority,
            // expiration, delivery_tag...), content type and encoding, and the body [args, kwargs, embed].
            let reencoded = message.envelope()
            #expect(message.headers.jsonObject() == headers, "\(payload)")
            #expect(reencoded["headers"] == original["headers"], "\(payload)")
            #expect(reencoded["properties"] == original["properties"], "\(payload)")
            #expect(reencoded["content-type"] == original["content-type"], "\(payload)")
            #expect(reencoded["content-encoding"] == original["content-encoding"], "\(payload)")
            let body = try JSONValue.parse(Base64.decode(original["body"]?.stringValue ?? ""))
            #expect(JSONValue.array([.array(message.args), .object(message.kwargs), .object(message.embed.jsonObject())]) == body, "\(payload)")
            #expect(reencoded["body"] == original["body"], "\(payload): the base64 body differs")
            // kombu's virtual `_restore` (warm shutdown) adds a top-level `"redelivered": true` that nothing in
            // kombu or Celery reads; TaskMessage does not carry that envelope key. Nothing else is dropped.
            let dropped = Set(original.keys).subtracting(reencoded.keys)
            #expect(dropped.isSubset(of: ["redelivered"]), "\(payload): \(dropped)")
            #expect(Set(reencoded.keys).isSubset(of: Set(original.keys)), "\(payload)")
            if dropped.contains("redelivered") {
                restored += 1
                #expect(original["redelivered"] == .bool(true), "\(payload)")
            }
            // Published rows are in Celery's key order and come back byte for byte.
            if payload.text.hasPrefix(#"{"body": "#), original.keys.first == "body", Array(original.keys) == Array(reencoded.keys) {
                #expect(message.envelopeBytes() == Array(payload.text.utf8), "\(payload)")
                sameBytes += 1
            }
            // Decoding what we encode gives the same message.
            #expect(try TaskMessage(envelope: message.envelopeBytes()) == message, "\(payload)")
        }
        #expect(tasks >= 20, "only \(tasks) task payloads")
        #expect(names["celery.chord_unlock", default: 0] >= 1, "\(names)")
        #expect(retried >= 1, "no retry message (retries > 0) in \(names)")
        #expect(restored >= 1, "no message restored by a warm shutdown")
        #expect(sameBytes >= tasks - restored, "\(sameBytes) of \(tasks) came back byte for byte (\(restored) restored)")
    }

    /// Specific rows, read as `vectors-sql/02-kombu-sqla-payload-decoded.txt` shows them.
    @Test func fieldValues() throws {
        guard ProtocolVectors.require() != nil else { return }
        let messages = try Self.distinctPayloads().compactMap { try? TaskMessage(envelope: Array($0.text.utf8)) }
        let delayed = try #require(messages.first { $0.headers.id == "dc1c9952-5dfd-48d7-b4a9-335b73cb3e9c" })
        #expect(delayed.properties.priority == 3)
        #expect(delayed.properties.expiration == "300000")
        #expect(delayed.headers.eta == "2026-11-26T03:50:52.585495+00:00")
        #expect(delayed.headers.expires == "2026-11-26T03:54:52.585495+00:00")
        let other = try #require(messages.first { $0.headers.id == "55ecfd6f-e40a-4218-858b-0a0b80131a46" })
        #expect(other.properties.routingKey == "other" && other.properties.exchange == "")
        #expect(other.args == ["h\u{e9}llo"])
        let unlock = try #require(messages.first { $0.headers.task == "celery.chord_unlock" })
        #expect(unlock.headers.ignoreResult == true)
        #expect(unlock.kwargs["_chord_unlock_exchange_type"] == "direct")
        #expect(unlock.args.count == 2)
        #expect(unlock.args.last?.objectValue?["task"] != nil)
        let retry = try #require(messages.first { $0.headers.retries > 0 })
        #expect(retry.headers.parentID == retry.headers.id)
        #expect(retry.headers.eta != nil)
    }

    /// A payload that is not a Celery task message (kombu's plain `{"hello": "world"}` with no headers) is
    /// refused with a clear error, not half-parsed.
    @Test func refusedNonTaskPayloads() throws {
        guard ProtocolVectors.require() != nil else { return }
        let others = try Self.distinctPayloads().filter { payload in
            (try? JSONValue.parse(payload.text).objectValue?["headers"]?.objectValue?["task"]) == nil
        }
        #expect(others.count >= 1, "no non-task payload found")
        for payload in others {
            do throws(CeleriacError) {
                let message = try TaskMessage(envelope: Array(payload.text.utf8))
                Issue.record("\(payload) decoded as \(message.headers.task)")
            } catch {
                #expect(error.code == .malformedMessage, "\(payload): \(error)")
                #expect(error.message.contains("not a Celery task message"), "\(payload): \(error)")
            }
        }
    }
}
