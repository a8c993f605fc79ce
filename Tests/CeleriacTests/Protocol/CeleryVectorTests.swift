import Foundation
import Testing

@testable import Celeriac

/// Real Celery 5.7 messages from `shared/celery-protocol/`, decoded and encoded again.
@Suite("Celery protocol vectors", .enabled(if: ProtocolVectors.shouldRun))
struct CeleryVectorTests {
    /// Every task message Celery pushed onto a Redis list comes back byte for byte; `unacked` hash values
    /// (`[envelope, exchange, routing_key]`) too.
    @Test func redisTaskMessagesRoundTripByteForByte() throws {
        guard ProtocolVectors.require() != nil else { return }
        let items = try ProtocolVectors.redisTaskItems()
        #expect(items.count >= 100, "only \(items.count) task messages found")
        var decoded = 0
        for item in items {
            let original = try JSONValue.parse(item.text)
            let envelope: JSONObject
            if item.isUnackedEntry {
                envelope = try #require(original.arrayValue?.first?.objectValue, "\(item)")
            } else {
                envelope = try #require(original.objectValue, "\(item)")
            }
            let message: TaskMessage
            do {
                message = item.isUnackedEntry ? try TaskMessage(envelope: envelope) : try TaskMessage(envelope: Array(item.text.utf8))
            } catch {
                // The e01/e03/e05 vectors hold deliberately malformed bodies; they are checked in malformedVectors.
                let isMalformedScenario = item.file.hasPrefix("e0")
                #expect(isMalformedScenario, "\(item): \(error)")
                continue
            }
            decoded += 1
            if item.isUnackedEntry {
                var wrapper = original.arrayValue ?? []
                wrapper[0] = .object(message.envelope())
                #expect(JSONValue.array(wrapper).serialized() == item.text, "\(item)")
            } else {
                #expect(message.envelopeBytes() == Array(item.text.utf8), "\(item)")
            }
            // The fields are the ones on the wire.
            let headers = try #require(envelope["headers"]?.objectValue)
            #expect(message.headers.task == headers["task"]?.stringValue)
            #expect(message.headers.id == headers["id"]?.stringValue)
            #expect(message.properties.deliveryTag == envelope["properties"]?.objectValue?["delivery_tag"]?.stringValue)
            #expect(message.headers.jsonObject() == headers, "\(item)")
            #expect(message.properties.jsonObject() == envelope["properties"]?.objectValue, "\(item)")
            let body = try JSONValue.parse(Base64.decode(envelope["body"]?.stringValue ?? ""))
            #expect(JSONValue.array([.array(message.args), .object(message.kwargs), .object(message.embed.jsonObject())]) == body)
            // Decoding what we encode gives the same message.
            #expect(try TaskMessage(envelope: message.envelopeBytes()) == message, "\(item)")
            // argsrepr/kwargsrepr are Celery's saferepr of the arguments: a tuple, or a list from send_task.
            if let argsrepr = message.headers.argsrepr {
                let candidates = [JSONValue.pythonArgsRepr(message.args), JSONValue.array(message.args).pythonSafeRepr()]
                #expect(candidates.contains(argsrepr), "\(item): \(argsrepr) vs \(candidates)")
            }
            #expect(message.headers.kwargsrepr == JSONValue.pythonKwargsRepr(message.kwargs), "\(item)")
        }
        #expect(decoded >= 100)
    }

    /// Every AMQP task message: the body bytes are identical and the header table and properties match.
    @Test func amqpTaskMessagesRoundTrip() throws {
        guard ProtocolVectors.require() != nil else { return }
        let messages = try ProtocolVectors.amqpMessages()
        let tasks = messages.filter { $0.headers["task"] != nil }
        #expect(tasks.count >= 20, "only \(tasks.count) AMQP task messages found")
        for amqp in tasks {
            var message = try TaskMessage(
                body: amqp.body, headers: amqp.headers, properties: amqp.properties, contentType: amqp.contentType,
                contentEncoding: amqp.contentEncoding)
            message.properties.exchange = amqp.exchange
            message.properties.routingKey = amqp.routingKey
            message.properties.redelivered = amqp.redelivered
            #expect(message.bodyBytes() == amqp.body, "\(amqp)")
            // Celery's order on publish. RabbitMQ sorts a header table by key when it dead-letters a message
            // (31-quorum-countdown-native-delayed: the delivery after the delay queues), so deliveries are compared
            // as key-value sets.
            let reencoded = message.headers.jsonObject()
            if amqp.method == "basic.publish" {
                #expect(reencoded == amqp.headers, "\(amqp)")
            } else {
                #expect(reencoded.count == amqp.headers.count, "\(amqp)")
                #expect(reencoded.allSatisfy { amqp.headers[$0.key] == $0.value }, "\(amqp)")
            }
            #expect(message.contentType == "application/json")
            #expect(message.properties.correlationID == amqp.properties["correlation_id"]?.stringValue)
            #expect(message.properties.replyTo == amqp.properties["reply_to"]?.stringValue)
            #expect(message.properties.deliveryMode == amqp.properties["delivery_mode"]?.intValue ?? 2)
            #expect(message.properties.priority == amqp.properties["priority"]?.intValue ?? 0)
            #expect(message.properties.expiration == amqp.properties["expiration"]?.stringValue)
            #expect(message.properties.extra.keys.allSatisfy { amqp.properties[$0] != nil })
            // The same message as a Redis envelope decodes back to itself.
            #expect(try TaskMessage(envelope: message.envelopeBytes()) == message, "\(amqp)")
        }
    }

    /// e01..e06: the malformed messages that the Python worker drops, refuses or dies on.
    @Test(arguments: [
        ("e01_body_not_json", CeleriacError.Code.malformedMessage, "not valid JSON"),
        ("e02_no_task_header", .malformedMessage, "no 'task' header"),
        ("e03_body_is_dict", .malformedMessage, "must be a list [args, kwargs, embed], found an object"),
        ("e04_content_type_pickle", .contentTypeRefused, "application/x-python-serialize"),
        ("e05_args_not_list", .malformedMessage, "args (the body's first element) must be a list, found a number"),
        ("e06_non_json_list_item", .malformedMessage, "not a JSON envelope"),
    ])
    func malformedVectors(scenario: String, code: CeleriacError.Code, reason: String) throws {
        guard ProtocolVectors.require() != nil else { return }
        let payload = try #require(try ProtocolVectors.scenarioValue(scenario, "payload_lpushed")?.stringValue)
        do throws(CeleriacError) {
            let message = try TaskMessage(envelope: Array(payload.utf8))
            Issue.record("\(scenario) decoded: \(message.headers.id)")
        } catch {
            #expect(error.code == code, "\(scenario): \(error)")
            #expect(error.message.contains(reason), "\(scenario): \(error)")
            if scenario != "e06_non_json_list_item" { #expect(error.taskID != nil, "\(scenario): \(error)") }
        }
    }

    /// Specific fields, read as the README describes them.
    @Test func fieldValues() throws {
        guard ProtocolVectors.require() != nil else { return }
        let items = try ProtocolVectors.redisTaskItems()
        func first(_ file: String, where predicate: (TaskMessage) -> Bool = { _ in true }) throws -> TaskMessage {
            for item in items where item.file.hasPrefix(file) && !item.isUnackedEntry {
                if let message = try? TaskMessage(envelope: Array(item.text.utf8)), predicate(message) { return message }
            }
            throw CeleriacError(.malformedMessage, "no message in \(file)")
        }

        let add = try first("a01")
        #expect(add.headers.task == "tasks.add")
        #expect(add.args == [2, 3])
        #expect(add.headers.argsrepr == "(2, 3)")
        #expect(add.headers.ignoreResult == false)
        #expect(add.headers.timeLimit == nil && add.headers.softTimeLimit == nil)
        #expect(add.properties.routingKey == "celery" && add.properties.exchange == "")
        #expect(add.embed == TaskEmbed())

        let options = try first("a02")
        #expect(options.properties.priority == 5)
        #expect(options.properties.routingKey == "q2")
        #expect(options.properties.expiration == "60000")
        #expect(options.kwargs == ["y": 3])
        #expect(options.embed.callbacks?.first?.objectValue?["args"] == [10])
        #expect(options.embed.errbacks?.first?.objectValue?["task"] == "tasks.on_error")
        let eta = try #require(options.headers.eta.flatMap(CeleryTimestamp.parse))
        let expires = try #require(options.headers.expires.flatMap(CeleryTimestamp.parse))
        #expect(abs(expires.timeIntervalSince(eta) - 50) < 0.001)

        let limits = try first("a03") { $0.headers.shadow != nil }
        #expect(limits.headers.timeLimit == 30 && limits.headers.softTimeLimit == 20)
        #expect(limits.headers.shadow == "add-shadow")
        #expect(limits.headers.ignoreResult == true)
        #expect(limits.headers.eta == "2030-01-01T12:00:00+02:00")
        #expect(limits.headers.eta.flatMap(CeleryTimestamp.parse) == Date(timeIntervalSince1970: 1_893_492_000))

        let chain = try first("a04")
        #expect(chain.embed.chain?.count == 2)
        #expect(chain.embed.chain?.last?.objectValue?["args"] == [3])

        let chord = try first("a06")
        #expect(chord.headers.groupIndex == 0)
        #expect(chord.embed.chord?.objectValue?["task"] == "tasks.tsum")

        let restored = try first("c02") { $0.headers.redelivered == true }
        #expect(restored.properties.redelivered == true)

        let retry = try first("b04") { $0.headers.retries == 1 }
        #expect(retry.headers.parentID == retry.headers.id)
        #expect(retry.properties.extra["origin"] != nil)

        let sent = try first("b13")
        #expect(sent.headers.ignoreResult == nil)
        #expect(sent.headers.argsrepr == "[1]")
    }
}
