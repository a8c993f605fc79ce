import Celeriac
import CeleriacAMQP

/// Converts between kombu envelopes (what ``Broker`` moves) and AMQP messages as Celery puts them on RabbitMQ.
///
/// On AMQP there is no envelope: the body is the raw JSON `[args, kwargs, embed]`, the task headers are the
/// `headers` table, and `content_type`, `content_encoding`, `delivery_mode`, `priority`, `correlation_id`,
/// `reply_to` and `expiration` are basic properties (`kombu/transport/pyamqp.py:Channel.prepare_message`).
/// Going out, the envelope's body is decoded (base64 when `properties.body_encoding` says so) and its headers
/// become a table with py-amqp's type tags, so a message we publish is byte for byte what Python Celery
/// publishes. Coming in, an envelope is rebuilt with a base64 body (any bytes survive) and a `delivery_info`
/// from the deliver method, which ``TaskMessage/init(envelope:acceptContent:)`` decodes.
public enum RabbitMQMessageCodec {
    /// The body and properties to publish for a kombu envelope.
    /// - Parameters:
    ///   - envelope: the kombu envelope as UTF-8 JSON bytes.
    ///   - priority: the priority to use when the envelope's properties carry none.
    /// - Returns: the body bytes and the AMQP properties.
    /// - Throws: ``CeleriacError`` with code ``CeleriacError/Code/malformedMessage`` when the envelope is not a
    ///   JSON object with a `body` string, or its base64 body does not decode.
    public static func message(fromEnvelope envelope: [UInt8], priority: Int) throws(CeleriacError) -> (body: [UInt8], properties: AMQPProperties) {
        let parsed: JSONValue
        do {
            parsed = try JSONValue.parse(envelope)
        } catch {
            throw CeleriacError(.malformedMessage, "cannot publish to RabbitMQ: the envelope is not JSON (\(error))", underlying: error)
        }
        guard case .object(let object) = parsed, case .string(let bodyText)? = object["body"] else {
            throw CeleriacError(.malformedMessage, "cannot publish to RabbitMQ: the envelope is not a kombu envelope with a 'body' string")
        }
        let kombuProperties = object["properties"]?.objectValue ?? [:]
        let headers = object["headers"]?.objectValue ?? [:]
        let body: [UInt8]
        if kombuProperties["body_encoding"]?.stringValue == "base64" {
            do {
                body = try Base64.decode(bodyText)
            } catch {
                throw CeleriacError(.malformedMessage, "cannot publish to RabbitMQ: the envelope's body is not valid base64 (\(error))",
                                    taskID: headers["id"]?.stringValue, underlying: error)
            }
        } else {
            body = Array(bodyText.utf8)
        }
        var properties = AMQPProperties()
        properties.contentType = object["content-type"]?.stringValue
        properties.contentEncoding = object["content-encoding"]?.stringValue
        properties.headers = AMQPTable(json: headers)
        properties.deliveryMode = UInt8(clamping: kombuProperties["delivery_mode"]?.intValue ?? 2)
        properties.priority = UInt8(clamping: kombuProperties["priority"]?.intValue ?? priority)
        properties.correlationID = kombuProperties["correlation_id"]?.stringValue
        properties.replyTo = kombuProperties["reply_to"]?.stringValue
        switch kombuProperties["expiration"] {
        case .string(let text)?: properties.expiration = text
        case .int(let milliseconds)?: properties.expiration = String(milliseconds)
        case .double(let milliseconds)? where milliseconds.isFinite: properties.expiration = String(Int(milliseconds))
        default: break
        }
        return (body, properties)
    }

    /// The kombu envelope for a delivered AMQP message.
    /// - Parameters:
    ///   - body: the message body.
    ///   - properties: its basic properties.
    ///   - exchange: the exchange it was published to (from `basic.deliver`).
    ///   - routingKey: its routing key.
    ///   - redelivered: whether the broker delivered it before.
    ///   - deliveryTag: the broker's tag for it, kept as kombu's `delivery_tag` property.
    /// - Returns: the envelope as UTF-8 JSON bytes.
    public static func envelope(
        body: [UInt8], properties: AMQPProperties, exchange: String, routingKey: String, redelivered: Bool, deliveryTag: String
    ) -> [UInt8] {
        var kombuProperties: [(String, JSONValue)] = []
        if let correlationID = properties.correlationID { kombuProperties.append(("correlation_id", .string(correlationID))) }
        if let replyTo = properties.replyTo { kombuProperties.append(("reply_to", .string(replyTo))) }
        kombuProperties.append(("delivery_mode", .int(Int(properties.deliveryMode ?? 1))))
        if let expiration = properties.expiration { kombuProperties.append(("expiration", .string(expiration))) }
        kombuProperties.append(("delivery_info", .object(JSONObject([
            ("exchange", .string(exchange)), ("routing_key", .string(routingKey)), ("redelivered", .bool(redelivered)),
        ]))))
        kombuProperties.append(("priority", .int(Int(properties.priority ?? 0))))
        kombuProperties.append(("body_encoding", .string("base64")))
        kombuProperties.append(("delivery_tag", .string(deliveryTag)))
        var envelope: [(String, JSONValue)] = [("body", .string(Base64.encodeToString(body)))]
        if let encoding = properties.contentEncoding { envelope.append(("content-encoding", .string(encoding))) }
        if let type = properties.contentType { envelope.append(("content-type", .string(type))) }
        envelope.append(("headers", .object(properties.headers?.jsonObject ?? [:])))
        envelope.append(("properties", .object(JSONObject(kombuProperties))))
        return JSONValue.object(JSONObject(envelope)).serializedBytes(.python)
    }
}
