import Testing

@testable import Celeriac

@Suite("TaskMessage envelope")
struct TaskMessageEnvelopeTests {
    /// `add.delay(2, 3)` as Celery 5.7 pushes it (vectors/a01_delay_add.wire.jsonl).
    static let celeryEnvelope =
        #"{"body": "W1syLCAzXSwge30sIHsiY2FsbGJhY2tzIjogbnVsbCwgImVycmJhY2tzIjogbnVsbCwgImNoYWluIjogbnVsbCwgImNob3JkIjogbnVsbH1d", "content-encoding": "utf-8", "content-type": "application/json", "headers": {"lang": "py", "task": "tasks.add", "id": "0e9846bf-6d5e-4c76-8eba-6385ba907d6c", "shadow": null, "eta": null, "expires": null, "group": null, "group_index": null, "retries": 0, "timelimit": [null, null], "root_id": "0e9846bf-6d5e-4c76-8eba-6385ba907d6c", "parent_id": null, "argsrepr": "(2, 3)", "kwargsrepr": "{}", "origin": "gen806@vm", "ignore_result": false, "replaced_task_nesting": 0, "stamped_headers": null, "stamps": {}}, "properties": {"correlation_id": "0e9846bf-6d5e-4c76-8eba-6385ba907d6c", "reply_to": "dcfa812f-650b-3d29-8c2a-3778a47b05e8", "delivery_mode": 2, "delivery_info": {"exchange": "", "routing_key": "celery"}, "priority": 0, "body_encoding": "base64", "delivery_tag": "5d5e7fb6-0813-491a-9e5c-26b0a5a37989"}}"#

    static func envelope(
        body: String = #"[[2, 3], {}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]"#,
        headers: JSONObject = ["task": "tasks.add", "id": "id-1"], properties: JSONObject = ["body_encoding": "base64"],
        contentType: String = "application/json"
    ) -> JSONObject {
        let encoded = properties["body_encoding"] == "base64" ? Base64.encodeToString(Array(body.utf8)) : body
        return [
            "body": .string(encoded), "content-encoding": "utf-8", "content-type": .string(contentType),
            "headers": .object(headers), "properties": .object(properties),
        ]
    }

    static func expectError(
        _ code: CeleriacError.Code, containing text: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () throws(CeleriacError) -> TaskMessage
    ) {
        do throws(CeleriacError) {
            let message = try body()
            Issue.record("decoded \(message.headers.task)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            #expect(error.message.contains(text), "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func decodesAndReencodesCeleryBytes() throws {
        let message = try TaskMessage(envelope: Array(Self.celeryEnvelope.utf8))
        #expect(message.headers.task == "tasks.add")
        #expect(message.headers.id == "0e9846bf-6d5e-4c76-8eba-6385ba907d6c")
        #expect(message.headers.rootID == message.headers.id)
        #expect(message.headers.origin == "gen806@vm")
        #expect(message.headers.ignoreResult == false)
        #expect(message.args == [2, 3])
        #expect(message.kwargs.isEmpty)
        #expect(message.properties.replyTo == "dcfa812f-650b-3d29-8c2a-3778a47b05e8")
        #expect(message.properties.deliveryTag == "5d5e7fb6-0813-491a-9e5c-26b0a5a37989")
        #expect(message.envelopeBytes() == Array(Self.celeryEnvelope.utf8))
        #expect(
            message.bodyBytes() == Array(#"[[2, 3], {}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]"#.utf8))
    }

    @Test func newMessageHasCeleryLayout() throws {
        var headers = TaskHeaders(task: "tasks.mul", id: "abc")
        headers.argsrepr = JSONValue.pythonArgsRepr([2, 3.5])
        headers.kwargsrepr = JSONValue.pythonKwargsRepr(["z": "é"])
        headers.timeLimit = 30
        headers.softTimeLimit = 2.5
        headers.extra = ["custom": 1]
        headers.redelivered = true
        var properties = MessageProperties()
        properties.correlationID = "abc"
        properties.replyTo = ""
        properties.deliveryTag = "tag"
        properties.extra = ["origin": "x"]
        let message = TaskMessage(headers: headers, properties: properties, args: [2, 3.5], kwargs: ["z": "é"])
        let expectedHeaders =
            #"{"lang": "py", "task": "tasks.mul", "id": "abc", "shadow": null, "eta": null, "expires": null, "group": null, "group_index": null, "retries": 0, "timelimit": [30, 2.5], "root_id": "abc", "parent_id": null, "argsrepr": "(2, 3.5)", "kwargsrepr": "{'z': '\u00e9'}", "origin": null, "ignore_result": null, "replaced_task_nesting": 0, "stamped_headers": null, "stamps": {}, "custom": 1, "redelivered": true}"#
        #expect(JSONValue.object(message.headers.jsonObject()).serialized() == expectedHeaders)
        let expectedProperties =
            #"{"correlation_id": "abc", "reply_to": "", "origin": "x", "delivery_mode": 2, "delivery_info": {"exchange": "", "routing_key": "celery"}, "priority": 0, "body_encoding": "base64", "delivery_tag": "tag"}"#
        #expect(JSONValue.object(message.properties.jsonObject()).serialized() == expectedProperties)
        #expect(message.envelope().keys == ["body", "content-encoding", "content-type", "headers", "properties"])
        #expect(
            String(decoding: message.bodyBytes(), as: UTF8.self)
                == #"[[2, 3.5], {"z": "\u00e9"}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]"#)
        #expect(try TaskMessage(envelope: message.envelopeBytes()) == message)
    }

    @Test func unknownKeysArePreservedInOrder() throws {
        let body = #"[[], {"a": 1}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null, "future": [1]}]"#
        let headers: JSONObject = ["task": "t", "id": "i", "zz": 1, "aa": "x"]
        let properties: JSONObject = ["body_encoding": "base64", "app_id": "me", "timestamp": 5]
        let message = try TaskMessage(envelope: Self.envelope(body: body, headers: headers, properties: properties))
        #expect(message.headers.extra.keys == ["zz", "aa"])
        #expect(message.properties.extra.keys == ["app_id", "timestamp"])
        #expect(message.embed.extra == ["future": [1]])
        #expect(message.headers.lang == "py")
        #expect(message.headers.rootID == nil)
        let again = try TaskMessage(envelope: message.envelopeBytes())
        #expect(again == message)
    }

    @Test func bodyEncodingIsHonoured() throws {
        let plain = try TaskMessage(envelope: Self.envelope(properties: ["body_encoding": "utf-8"]))
        #expect(plain.args == [2, 3])
        #expect(plain.properties.bodyEncoding == "utf-8")
        #expect(plain.envelope()["body"]?.stringValue?.hasPrefix("[[2, 3]") == true)
        let unset = try TaskMessage(envelope: Self.envelope(properties: [:]))
        #expect(unset.args == [2, 3])
        var badBase64 = Self.envelope()
        badBase64["body"] = "not base64!"
        Self.expectError(.malformedMessage, containing: "base64") { () throws(CeleriacError) in try TaskMessage(envelope: badBase64) }
    }

    @Test(arguments: ["application/x-python-serialize", "application/x-yaml", "application/x-msgpack", "text/plain"])
    func otherContentTypesAreRefused(contentType: String) {
        let envelope = Self.envelope(contentType: contentType)
        Self.expectError(.contentTypeRefused, containing: contentType) { () throws(CeleriacError) in try TaskMessage(envelope: envelope) }
        // Accepting the type doesn't make Celeriac able to read it.
        Self.expectError(.contentTypeRefused, containing: contentType) { () throws(CeleriacError) in
            try TaskMessage(envelope: envelope, acceptContent: [contentType, "json", "pickle", "yaml", "msgpack"])
        }
    }

    @Test func contentTypeChecks() throws {
        #expect(try TaskMessage(envelope: Self.envelope(contentType: "application/json; charset=utf-8"), acceptContent: ["json"]).args == [2, 3])
        Self.expectError(.contentTypeRefused, containing: "untrusted") { () throws(CeleriacError) in
            try TaskMessage(envelope: Self.envelope(), acceptContent: ["pickle"])
        }
        var noType = Self.envelope()
        noType["content-type"] = nil
        Self.expectError(.contentTypeRefused, containing: "no content type") { () throws(CeleriacError) in try TaskMessage(envelope: noType) }
        Self.expectError(.contentTypeRefused, containing: "application/x-gzip") { () throws(CeleriacError) in
            try TaskMessage(envelope: Self.envelope(headers: ["task": "t", "id": "i", "compression": "application/x-gzip"]))
        }
    }

    @Test func malformedMessages() throws {
        func decode(_ envelope: JSONObject) -> () throws(CeleriacError) -> TaskMessage {
            { () throws(CeleriacError) in try TaskMessage(envelope: envelope) }
        }
        Self.expectError(.malformedMessage, containing: "not a JSON envelope") { () throws(CeleriacError) in try TaskMessage(envelope: Array("nope".utf8)) }
        Self.expectError(.malformedMessage, containing: "expected a JSON object, found a list") { () throws(CeleriacError) in
            try TaskMessage(envelope: Array("[1]".utf8))
        }
        Self.expectError(.malformedMessage, containing: "no 'task' header", decode(Self.envelope(headers: ["id": "x"])))
        Self.expectError(.malformedMessage, containing: "no 'id' header", decode(Self.envelope(headers: ["task": "t"])))
        Self.expectError(.malformedMessage, containing: "header 'task' must be a string", decode(Self.envelope(headers: ["task": 5, "id": "x"])))
        Self.expectError(.malformedMessage, containing: "header 'retries' must be an integer", decode(Self.envelope(headers: ["task": "t", "id": "x", "retries": "1"])))
        Self.expectError(.malformedMessage, containing: "header 'timelimit' must be a list", decode(Self.envelope(headers: ["task": "t", "id": "x", "timelimit": [1]])))
        Self.expectError(.malformedMessage, containing: "found a list of 2", decode(Self.envelope(body: "[[], {}]")))
        Self.expectError(.malformedMessage, containing: "kwargs (the body's second element) must be an object, found a list", decode(Self.envelope(body: "[[], [], null]")))
        Self.expectError(.malformedMessage, containing: "embed) must be an object or null, found a string", decode(Self.envelope(body: #"[[], {}, "x"]"#)))
        Self.expectError(.malformedMessage, containing: "embed key 'callbacks' must be a list", decode(Self.envelope(body: #"[[], {}, {"callbacks": 1}]"#)))
        Self.expectError(.malformedMessage, containing: "property 'priority' must be an integer", decode(Self.envelope(properties: ["body_encoding": "base64", "priority": "high"])))
        Self.expectError(.malformedMessage, containing: "'body'", decode(["content-type": "application/json", "headers": .object(["task": "t", "id": "i"])]))
        // Errors name the task when the headers do.
        do throws(CeleriacError) {
            _ = try TaskMessage(envelope: Self.envelope(body: "[5, {}, {}]"))
        } catch {
            #expect(error.taskID == "id-1")
            #expect(error.taskName == "tasks.add")
        }
    }

    @Test func nullEmbedAndOptionalFields() throws {
        let message = try TaskMessage(envelope: Self.envelope(body: #"[[1], {"k": "v"}, null]"#))
        #expect(message.embed == TaskEmbed())
        #expect(message.headers.retries == 0)
        #expect(message.properties.deliveryMode == 2)
        #expect(message.properties.routingKey == "celery")
    }

    /// Protocol v1, as `celery/app/amqp.py:as_task_v1` writes it.
    @Test func protocolV1IsConverted() throws {
        let body =
            #"{"task": "tasks.add", "id": "v1-id", "args": [2, 3], "kwargs": {"z": 1}, "group": null, "group_index": null, "retries": 2, "eta": "2030-01-01T12:00:00+00:00", "expires": null, "utc": true, "callbacks": [{"task": "tasks.cb"}], "errbacks": null, "timelimit": [10, null], "taskset": "g-1", "chord": {"task": "tasks.body"}}"#
        let message = try TaskMessage(envelope: Self.envelope(body: body, headers: [:]))
        #expect(message.headers.task == "tasks.add")
        #expect(message.headers.id == "v1-id")
        #expect(message.args == [2, 3])
        #expect(message.kwargs == ["z": 1])
        #expect(message.headers.retries == 2)
        #expect(message.headers.eta == "2030-01-01T12:00:00+00:00")
        #expect(message.headers.group == "g-1")
        #expect(message.headers.timeLimit == 10 && message.headers.softTimeLimit == nil)
        #expect(message.headers.argsrepr == "(2, 3)")
        #expect(message.headers.kwargsrepr == "{'z': 1}")
        #expect(message.embed.callbacks == [.object(["task": "tasks.cb"])])
        #expect(message.embed.chord == .object(["task": "tasks.body"]))
        #expect(message.embed.chain == nil)
        // Re-encoded, it is a protocol v2 message.
        let again = try TaskMessage(envelope: message.envelopeBytes())
        #expect(again == message)
        #expect(message.envelope()["headers"]?.objectValue?["task"] == "tasks.add")

        // The message's own headers win over the body's fields.
        let overridden = try TaskMessage(envelope: Self.envelope(body: body, headers: ["retries": 5, "custom": true]))
        #expect(overridden.headers.retries == 5)
        #expect(overridden.headers.extra == ["custom": true])

        // AMQP delivery of the same v1 body.
        let amqp = try TaskMessage(body: Array(body.utf8), headers: [:], properties: ["delivery_mode": 2], contentType: "application/json", contentEncoding: "utf-8")
        #expect(amqp.headers.id == "v1-id")

        Self.expectError(.malformedMessage, containing: "must be a mapping") { () throws(CeleriacError) in
            try TaskMessage(envelope: Self.envelope(body: #"{"task": "t", "id": "i", "args": [], "kwargs": [1]}"#, headers: [:]))
        }
        Self.expectError(.malformedMessage, containing: "no 'id' header") { () throws(CeleriacError) in
            try TaskMessage(envelope: Self.envelope(body: #"{"task": "t", "args": []}"#, headers: [:]))
        }
    }

    @Test func amqpStyleDelivery() throws {
        let body = Array(#"[[1, 2], {}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]"#.utf8)
        let headers: JSONObject = ["lang": "py", "task": "proj.add", "id": "x", "timelimit": [60, 50]]
        let properties: JSONObject = [
            "content_type": "application/json", "delivery_mode": 2, "priority": 9, "correlation_id": "x", "reply_to": "r",
            "expiration": 120_000,
        ]
        let message = try TaskMessage(body: body, headers: headers, properties: properties, contentType: "application/json", contentEncoding: "utf-8")
        #expect(message.properties.priority == 9)
        #expect(message.properties.expiration == "120000")
        #expect(message.properties.extra.isEmpty)
        #expect(message.headers.timeLimit == 60 && message.headers.softTimeLimit == 50)
        #expect(message.bodyBytes() == body)
        Self.expectError(.contentTypeRefused, containing: "application/x-python-serialize") { () throws(CeleriacError) in
            try TaskMessage(body: body, headers: headers, properties: [:], contentType: "application/x-python-serialize", contentEncoding: "binary")
        }
    }
}
