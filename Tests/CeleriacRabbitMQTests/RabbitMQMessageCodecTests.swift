import Celeriac
@testable import CeleriacAMQP
import CeleriacRabbitMQ
import Foundation
import NIOCore
import Testing

/// The envelope ⇄ AMQP conversion against messages captured from Celery 5.7 on RabbitMQ (`vectors-amqp/`).
@Suite("RabbitMQ message codec")
struct RabbitMQMessageCodecTests {
    /// One captured message: its content header's property bytes (after class, weight and body size) and its body.
    struct Captured {
        var propertyBytes: [UInt8]
        var body: [UInt8]
    }

    static let vectors = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/celery-protocol/vectors-amqp")

    /// The messages the client published (`C>S` content headers and their body frames) in a capture.
    static func published(_ name: String) throws -> [Captured] {
        let text = try String(contentsOf: vectors.appendingPathComponent(name), encoding: .utf8)
        var result: [Captured] = []
        var current: Captured?
        var expected = 0
        for line in text.split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["dir"] as? String == "C>S", let kind = object["kind"] as? String, let hex = object["hex"] as? String else { continue }
            if kind == "header", object["class_id"] as? Int == 60 {
                expected = object["body_size"] as? Int ?? 0
                current = Captured(propertyBytes: Array(bytes(hex: hex).dropFirst(12)), body: [])
            } else if kind == "body", current != nil {
                current?.body += bytes(hex: hex)
            } else {
                continue
            }
            if let message = current, message.body.count >= expected {
                result.append(message)
                current = nil
            }
        }
        return result
    }

    static func bytes(hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
            result.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return result
    }

    static func properties(_ bytes: [UInt8]) throws -> AMQPProperties {
        var buffer = ByteBuffer(bytes: bytes)
        return try buffer.readAMQPProperties()
    }

    static func encoded(_ properties: AMQPProperties) throws -> [UInt8] {
        var buffer = ByteBuffer()
        try buffer.writeAMQPProperties(properties)
        return Array(buffer: buffer)
    }

    @Test(arguments: ["01-delay.jsonl", "02-apply-async-options.jsonl", "03-priority-queue.jsonl", "04-chain.jsonl", "05-group.jsonl"])
    func celeryTaskMessagesSurviveTheEnvelopeRoundTripByteForByte(_ file: String) throws {
        let messages = try Self.published(file).filter { try Self.properties($0.propertyBytes).headers?["task"] != nil }
        #expect(!messages.isEmpty)
        for captured in messages {
            let properties = try Self.properties(captured.propertyBytes)
            let envelope = RabbitMQMessageCodec.envelope(
                body: captured.body, properties: properties, exchange: "", routingKey: "celery", redelivered: false, deliveryTag: "1.1")
            let task = try TaskMessage(envelope: envelope)
            #expect(task.headers.id == properties.correlationID)
            #expect(task.headers.task == properties.headers?["task"]?.stringValue)
            #expect(task.bodyBytes() == captured.body)
            // Back to AMQP: the same body and the same content header bytes Celery wrote.
            let (body, again) = try RabbitMQMessageCodec.message(fromEnvelope: envelope, priority: 0)
            #expect(body == captured.body)
            #expect(try Self.encoded(again) == captured.propertyBytes, "\(file): \(task.headers.id)")
            // And what the worker re-encodes (TaskMessage → envelope → AMQP) matches too.
            let (body2, again2) = try RabbitMQMessageCodec.message(fromEnvelope: task.envelopeBytes(), priority: 0)
            #expect(body2 == captured.body)
            #expect(try Self.encoded(again2) == captured.propertyBytes, "\(file) re-encoded: \(task.headers.id)")
        }
    }

    @Test func deliveryInfoAndArgumentsComeThrough() throws {
        let captured = try #require(try Self.published("01-delay.jsonl").first)
        let properties = try Self.properties(captured.propertyBytes)
        let envelope = RabbitMQMessageCodec.envelope(
            body: captured.body, properties: properties, exchange: "", routingKey: "celery", redelivered: true, deliveryTag: "3.7")
        let task = try TaskMessage(envelope: envelope)
        #expect(task.headers.id == "907b3b3a-d60b-442c-8e27-f3f82ec7ddb9")
        #expect(task.headers.task == "proj.add")
        #expect(task.args == [2, 3])
        #expect(task.properties.routingKey == "celery")
        #expect(task.properties.redelivered == true)
        #expect(task.properties.deliveryMode == 2)
        #expect(task.properties.replyTo == "e6174b1e-66f6-3463-add0-174e08f4a312")
    }

    @Test func headerValuesGetPyAMQPsTypeTags() throws {
        let envelope = Array(#"{"body": "[[], {}, {}]", "content-encoding": "utf-8", "content-type": "application/json", "headers": {"s": "x", "small": 7, "big": 1099511627776, "f": 1.5, "b": true, "n": null, "a": [1, null], "o": {}}, "properties": {"priority": 3, "expiration": 120000, "body_encoding": "utf-8"}}"#.utf8)
        let (body, properties) = try RabbitMQMessageCodec.message(fromEnvelope: envelope, priority: 9)
        #expect(body == Array("[[], {}, {}]".utf8))
        let headers = try #require(properties.headers)
        #expect(headers["s"] == .string("x"))
        #expect(headers["small"] == .int32(7))
        #expect(headers["big"] == .uint64(1_099_511_627_776))
        #expect(headers["f"] == .double(1.5))
        #expect(headers["b"] == .bool(true))
        #expect(headers["n"] == .void)
        #expect(headers["a"] == .array([.int32(1), .void]))
        #expect(headers["o"] == .table([:]))
        #expect(properties.priority == 3)
        #expect(properties.deliveryMode == 2)
        #expect(properties.expiration == "120000")
    }

    @Test func envelopesThatAreNotEnvelopesAreRefusedClearly() {
        #expect(throws: CeleriacError.self) { try RabbitMQMessageCodec.message(fromEnvelope: Array("not json".utf8), priority: 0) }
        #expect(throws: CeleriacError.self) { try RabbitMQMessageCodec.message(fromEnvelope: Array("[1]".utf8), priority: 0) }
        #expect(throws: CeleriacError.self) {
            try RabbitMQMessageCodec.message(fromEnvelope: Array(#"{"body": "!!", "properties": {"body_encoding": "base64"}}"#.utf8), priority: 0)
        }
    }
}
