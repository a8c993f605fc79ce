import Celeriac
import Foundation

/// A popped message ready to hand out, with what kombu records for it in `unacked`.
struct PreparedDelivery: Sendable {
    /// The delivery tag (the envelope's `properties.delivery_tag`, or a new one).
    var tag: String
    /// The queue the message came from.
    var queue: String
    /// The envelope, with the delivery tag written in when it had none.
    var envelope: [UInt8]
    /// Whether the envelope says it was delivered before.
    var redelivered: Bool
    /// `json.dumps([envelope, exchange, routing_key])`, or `nil` when the envelope is not a JSON object
    /// (such a message is held in memory only, and dead-lettered by the worker).
    var unackedValue: [UInt8]?

    /// The delivery handed to the worker.
    var delivery: Delivery {
        Delivery(tag: DeliveryTag(tag), queue: queue, envelope: envelope, redelivered: redelivered)
    }
}

/// What kombu's Redis transport reads and writes inside envelopes: delivery tags, redelivered flags, the
/// `unacked` entries and the payloads `restore_by_tag` pushes back.
enum RedisEnvelope {
    /// Prepares a popped message: finds (or makes up and writes in) its delivery tag and builds its
    /// `unacked` value the way kombu's `QoS.append` does.
    static func prepare(_ bytes: [UInt8], queue: String) -> PreparedDelivery {
        guard case .object(var envelope)? = try? JSONValue.parse(bytes) else {
            return PreparedDelivery(tag: newTag(), queue: queue, envelope: bytes, redelivered: false, unackedValue: nil)
        }
        var properties = envelope["properties"]?.objectValue ?? [:]
        var output = bytes
        let tag: String
        if let existing = properties["delivery_tag"]?.stringValue, !existing.isEmpty {
            tag = existing
        } else {
            tag = newTag()
            properties["delivery_tag"] = .string(tag)
            envelope["properties"] = .object(properties)
            output = JSONValue.object(envelope).serializedBytes(.python)
        }
        let info = properties["delivery_info"]?.objectValue
        let exchange = info?["exchange"]?.stringValue ?? ""
        let routingKey = info?["routing_key"]?.stringValue ?? queue
        let unacked = JSONValue.array([.object(envelope), .string(exchange), .string(routingKey)]).serializedBytes(.python)
        return PreparedDelivery(tag: tag, queue: queue, envelope: output, redelivered: isRedelivered(envelope), unackedValue: unacked)
    }

    /// Whether `headers.redelivered` or `properties.delivery_info.redelivered` is true.
    static func isRedelivered(_ envelope: JSONObject) -> Bool {
        if envelope["headers"]?.objectValue?["redelivered"]?.boolValue == true { return true }
        return envelope["properties"]?.objectValue?["delivery_info"]?.objectValue?["redelivered"]?.boolValue == true
    }

    /// The message kombu's `_do_restore_message` pushes back for an `unacked` value: the envelope with
    /// `headers.redelivered` and `properties.delivery_info.redelivered` set, the queue (`routing_key` for
    /// the default exchange) and the priority from `properties.priority`.
    /// - Returns: `nil` when the value is not `[envelope, exchange, routing_key]`.
    static func restorePayload(fromUnacked value: [UInt8]) -> (queue: String, priority: Int, payload: [UInt8])? {
        guard case .array(let items)? = try? JSONValue.parse(value), items.count >= 3,
            case .object(var envelope) = items[0], let routingKey = items[2].stringValue
        else { return nil }
        // kombu sets both flags in one try block: a message without headers gets neither.
        if var headers = envelope["headers"]?.objectValue {
            headers["redelivered"] = true
            envelope["headers"] = .object(headers)
            if var properties = envelope["properties"]?.objectValue, var info = properties["delivery_info"]?.objectValue {
                info["redelivered"] = true
                properties["delivery_info"] = .object(info)
                envelope["properties"] = .object(properties)
            }
        }
        return (routingKey, priority(of: envelope), JSONValue.object(envelope).serializedBytes(.python))
    }

    /// `properties.priority` clamped to 0...9 (kombu's `_get_message_priority`), 0 when absent.
    static func priority(of envelope: JSONObject) -> Int {
        guard let value = envelope["properties"]?.objectValue?["priority"] else { return 0 }
        let number = value.intValue ?? value.doubleValue.flatMap { $0.isFinite ? Int($0) : nil } ?? 0
        return min(max(number, 0), 9)
    }

    /// A new delivery tag in kombu's form (a UUID4).
    static func newTag() -> String { RandomID.uuid4() }

    /// Python's `json.dumps` of a string, for building JSON text by hand.
    static func jsonString(_ text: String) -> String { JSONValue.string(text).serialized(.python) }
}
