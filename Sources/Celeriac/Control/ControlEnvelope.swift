import Foundation

/// The kombu envelopes of Celery's remote control: requests on the `celery.pidbox` fanout exchange and replies
/// on the `reply.celery.pidbox` direct exchange (`kombu/pidbox.py`).
public enum ControlEnvelope {
    /// The fanout exchange requests are broadcast on.
    public static let exchange = "celery.pidbox"
    /// The direct exchange replies are sent to.
    public static let replyExchange = "reply.celery.pidbox"

    /// A request envelope: headers `clock` and `expires`, `delivery_mode` 2.
    public static func request(_ request: ControlRequest, clock: Int, timeout: Double) -> [UInt8] {
        encode(
            body: .object(request.body()),
            headers: ["clock": .int(clock), "expires": .double(Date().timeIntervalSince1970 + timeout)],
            deliveryMode: 2, exchange: exchange, routingKey: "")
    }

    /// A reply envelope: body `{<hostname>: reply}`, headers `ticket` and `clock`, `delivery_mode` 1.
    public static func reply(_ reply: JSONValue, hostname: String, ticket: String, routingKey: String, clock: Int) -> [UInt8] {
        encode(
            body: .object([hostname: reply]), headers: ["ticket": .string(ticket), "clock": .int(clock)],
            deliveryMode: 1, exchange: replyExchange, routingKey: routingKey)
    }

    /// The body object and headers of a control envelope.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/malformedMessage``) when it is not a JSON envelope.
    public static func decode(_ bytes: some Collection<UInt8>) throws(CeleriacError) -> (body: JSONValue, headers: JSONObject) {
        let parsed: JSONValue
        do {
            parsed = try JSONValue.parse(bytes)
        } catch {
            throw CeleriacError(.malformedMessage, "the control message is not a JSON envelope: \(error)")
        }
        guard let envelope = parsed.objectValue, let body = envelope["body"]?.stringValue else {
            throw CeleriacError(.malformedMessage, "the control message has no body")
        }
        guard (envelope["content-type"]?.stringValue ?? "application/json") == "application/json" else {
            throw CeleriacError(.contentTypeRefused, "the control message is not JSON")
        }
        var bodyBytes = Array(body.utf8)
        if envelope["properties"]?.objectValue?["body_encoding"]?.stringValue == "base64" {
            do {
                bodyBytes = try Base64.decode(body)
            } catch {
                throw CeleriacError(.malformedMessage, "the control message body is not valid base64")
            }
        }
        do {
            return (try JSONValue.parse(bodyBytes), envelope["headers"]?.objectValue ?? [:])
        } catch {
            throw CeleriacError(.malformedMessage, "the control message body is not JSON: \(error)")
        }
    }

    private static func encode(body: JSONValue, headers: JSONObject, deliveryMode: Int, exchange: String, routingKey: String) -> [UInt8] {
        let envelope: JSONObject = [
            "body": .string(Base64.encodeToString(body.serializedBytes(.python))),
            "content-encoding": "utf-8",
            "content-type": "application/json",
            "headers": .object(headers),
            "properties": .object([
                "delivery_mode": .int(deliveryMode),
                "delivery_info": .object(["exchange": .string(exchange), "routing_key": .string(routingKey)]),
                "priority": 0,
                "body_encoding": "base64",
                "delivery_tag": .string(RandomID.uuid4()),
            ]),
        ]
        return JSONValue.object(envelope).serializedBytes(.python)
    }
}
