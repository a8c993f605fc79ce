import Foundation

/// The kombu envelope Celery publishes events in (`celery/events/dispatcher.py:EventDispatcher._publish`) on the
/// `celeryev` exchange: the event JSON as a base64 body, `headers {"hostname"}`, `delivery_mode` 1, no
/// correlation id or reply address.
public enum EventEnvelope {
    /// The exchange events are published on.
    public static let exchange = "celeryev"

    /// Encodes one event, or a batch (a JSON list, published with routing key `task.multi` as Celery's
    /// buffering workers do), in Celery's envelope.
    /// - Parameters:
    ///   - events: the events; more than one makes a list body.
    ///   - hostname: the sending node, for the `hostname` header.
    ///   - routingKey: the routing key written in `delivery_info`.
    public static func encode(_ events: [CeleryEvent], hostname: String, routingKey: String) -> [UInt8] {
        let body: JSONValue = events.count == 1 ? .object(events[0].fields) : .array(events.map { .object($0.fields) })
        let envelope: JSONObject = [
            "body": .string(Base64.encodeToString(body.serializedBytes(.python))),
            "content-encoding": "utf-8",
            "content-type": "application/json",
            "headers": .object(["hostname": .string(hostname)]),
            "properties": .object([
                "delivery_mode": 1,
                "delivery_info": .object(["exchange": .string(exchange), "routing_key": .string(routingKey)]),
                "priority": 0,
                "body_encoding": "base64",
                "delivery_tag": .string(RandomID.uuid4()),
            ]),
        ]
        return JSONValue.object(envelope).serializedBytes(.python)
    }

    /// Decodes an event envelope into its events: one object, or a list (`task.multi`), as
    /// `celery/events/receiver.py:_receive` accepts both.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/malformedMessage``) when it is not an event envelope.
    public static func decode(_ bytes: some Collection<UInt8>) throws(CeleriacError) -> [CeleryEvent] {
        let parsed: JSONValue
        do {
            parsed = try JSONValue.parse(bytes)
        } catch {
            throw CeleriacError(.malformedMessage, "the event is not a JSON envelope: \(error)")
        }
        guard let envelope = parsed.objectValue, let body = envelope["body"]?.stringValue else {
            throw CeleriacError(.malformedMessage, "the event envelope has no body")
        }
        let type = envelope["content-type"]?.stringValue ?? "application/json"
        guard type == "application/json" else {
            throw CeleriacError(.contentTypeRefused, "the event body is \(type), not JSON")
        }
        let bodyBytes: [UInt8]
        if envelope["properties"]?.objectValue?["body_encoding"]?.stringValue == "base64" {
            do {
                bodyBytes = try Base64.decode(body)
            } catch {
                throw CeleriacError(.malformedMessage, "the event body is not valid base64: \(error)")
            }
        } else {
            bodyBytes = Array(body.utf8)
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(bodyBytes)
        } catch {
            throw CeleriacError(.malformedMessage, "the event body is not JSON: \(error)")
        }
        switch value {
        case .object(let fields): return [CeleryEvent(fields: fields)]
        case .array(let items): return items.compactMap { $0.objectValue.map(CeleryEvent.init(fields:)) }
        default: throw CeleriacError(.malformedMessage, "the event body is neither an object nor a list")
        }
    }
}
