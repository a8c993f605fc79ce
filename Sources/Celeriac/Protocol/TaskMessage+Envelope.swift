extension TaskMessage {
    /// Decodes a kombu envelope, the JSON text Celery puts on a Redis list (and other virtual transports).
    ///
    /// See ``init(envelope:acceptContent:)`` for the rules.
    /// - Parameters:
    ///   - bytes: the envelope's UTF-8 JSON text.
    ///   - acceptContent: the content types to accept, as MIME types or Celery's short names (`"json"`).
    /// - Throws: ``CeleriacError`` with code ``CeleriacError/Code/malformedMessage`` (not JSON, not an object,
    ///   a bad body or header) or ``CeleriacError/Code/contentTypeRefused``.
    public init(envelope bytes: some Collection<UInt8>, acceptContent: Set<String> = ["application/json"]) throws(CeleriacError) {
        let parsed: JSONValue
        do {
            parsed = try JSONValue.parse(bytes)
        } catch {
            throw CeleriacError(.malformedMessage, "the message is not a JSON envelope: \(error)", underlying: error)
        }
        guard case .object(let envelope) = parsed else {
            throw WireFields.malformed("the message is not a kombu envelope: expected a JSON object, found \(WireFields.typeName(parsed))")
        }
        try self.init(envelope: envelope, acceptContent: acceptContent)
    }

    /// Decodes a parsed kombu envelope: `{"body", "content-encoding", "content-type", "headers", "properties"}`.
    ///
    /// - The content type is checked first, before the body is touched: anything not in `acceptContent`, and
    ///   anything but JSON (pickle, YAML, msgpack), is refused, as is a body compressed with the `compression`
    ///   header.
    /// - `properties.body_encoding` `"base64"` means the body string is base64 (kombu's virtual transports);
    ///   any other value, or none, means the body string is the JSON text itself.
    /// - Protocol v2: the `task` header names the task and the body is `[args, kwargs, embed]`.
    ///   Protocol v1: no `task` header and a body object with `task`, `id`, `args`, `kwargs`, ...
    ///   (see `TaskMessage+ProtocolV1.swift`), converted to v2.
    /// - Parameters:
    ///   - envelope: the envelope object.
    ///   - acceptContent: the content types to accept, as MIME types or Celery's short names (`"json"`).
    /// - Throws: ``CeleriacError`` with code ``CeleriacError/Code/malformedMessage`` or
    ///   ``CeleriacError/Code/contentTypeRefused``.
    public init(envelope: JSONObject, acceptContent: Set<String> = ["application/json"]) throws(CeleriacError) {
        let fields = WireFields(object: envelope, kind: "envelope key")
        let headers = try fields.object("headers") ?? [:]
        let properties = try fields.object("properties") ?? [:]
        let contentType = try fields.string("content-type")
        let contentEncoding = try fields.string("content-encoding") ?? "utf-8"
        try Self.checkContent(contentType, headers: headers, accept: acceptContent)
        guard let body = try fields.string("body") else {
            throw Self.error(.malformedMessage, "the envelope has no 'body' string", headers: headers)
        }
        let bodyBytes: [UInt8]
        if case .string("base64")? = properties["body_encoding"] {
            do {
                bodyBytes = try Base64.decode(body)
            } catch {
                throw Self.error(.malformedMessage, "the body is not valid base64: \(error)", headers: headers)
            }
        } else {
            bodyBytes = Array(body.utf8)
        }
        try self.init(decodedBody: bodyBytes, headers: headers, properties: properties, contentType: contentType ?? "",
                      contentEncoding: contentEncoding)
    }

    /// Decodes a message whose body, headers and properties arrive apart, as on AMQP (`basic.deliver`, the
    /// content header's properties and header table, then the body frames).
    ///
    /// The body is the raw JSON (no base64). `properties` holds the AMQP basic properties by kombu's names
    /// (`correlation_id`, `reply_to`, `delivery_mode`, `priority`, `expiration`, ...); `content_type`,
    /// `content_encoding` and `headers` in it are ignored, since they are passed apart. The exchange and routing
    /// key come from the deliver method: set ``MessageProperties/exchange``, ``MessageProperties/routingKey`` and
    /// ``MessageProperties/redelivered`` afterwards.
    /// - Parameters:
    ///   - body: the message body bytes.
    ///   - headers: the AMQP header table as JSON.
    ///   - properties: the other basic properties as JSON.
    ///   - contentType: the `content_type` property.
    ///   - contentEncoding: the `content_encoding` property.
    ///   - acceptContent: the content types to accept, as MIME types or Celery's short names (`"json"`).
    /// - Throws: ``CeleriacError`` with code ``CeleriacError/Code/malformedMessage`` or
    ///   ``CeleriacError/Code/contentTypeRefused``.
    public init(
        body: [UInt8], headers: JSONObject, properties: JSONObject, contentType: String, contentEncoding: String,
        acceptContent: Set<String> = ["application/json"]
    ) throws(CeleriacError) {
        try Self.checkContent(contentType, headers: headers, accept: acceptContent)
        var filtered = properties
        for key in ["content_type", "content_encoding", "headers", "application_headers"] { filtered[key] = nil }
        try self.init(decodedBody: body, headers: headers, properties: filtered, contentType: contentType,
                      contentEncoding: contentEncoding)
    }

    /// The shared path once the content type is accepted and the body is raw JSON bytes.
    private init(
        decodedBody: [UInt8], headers: JSONObject, properties: JSONObject, contentType: String, contentEncoding: String
    ) throws(CeleriacError) {
        let body: JSONValue
        do {
            body = try JSONValue.parse(decodedBody)
        } catch {
            throw Self.error(.malformedMessage, "the body is not valid JSON (\(error))", headers: headers)
        }
        let decodedProperties: MessageProperties
        do throws(CeleriacError) {
            decodedProperties = try MessageProperties(jsonObject: properties)
        } catch {
            throw Self.error(.malformedMessage, error.message, headers: headers)
        }
        let hasTaskHeader = headers["task"].map { $0 != .null } ?? false
        if !hasTaskHeader, case .object(let v1Body) = body, v1Body["task"] != nil {
            self = try Self(protocolV1Body: v1Body, headers: headers, properties: decodedProperties,
                            contentType: contentType, contentEncoding: contentEncoding)
            return
        }
        let taskHeaders = try TaskHeaders(jsonObject: headers)
        guard case .array(let parts) = body, parts.count == 3 else {
            let found = body.arrayValue.map { "a list of \($0.count)" } ?? WireFields.typeName(body)
            throw Self.error(.malformedMessage, "the body must be a list [args, kwargs, embed], found \(found)", headers: headers)
        }
        guard case .array(let args) = parts[0] else {
            throw Self.error(.malformedMessage, "args (the body's first element) must be a list, found \(WireFields.typeName(parts[0]))", headers: headers)
        }
        guard case .object(let kwargs) = parts[1] else {
            throw Self.error(.malformedMessage, "kwargs (the body's second element) must be an object, found \(WireFields.typeName(parts[1]))", headers: headers)
        }
        let embed: TaskEmbed
        do throws(CeleriacError) {
            embed = try TaskEmbed(json: parts[2])
        } catch {
            throw Self.error(.malformedMessage, error.message, headers: headers)
        }
        self.init(headers: taskHeaders, properties: decodedProperties, args: args, kwargs: kwargs, embed: embed,
                  contentType: contentType, contentEncoding: contentEncoding)
    }

    /// Refuses what Celeriac can't or mustn't decode, before the body is read.
    private static func checkContent(_ contentType: String?, headers: JSONObject, accept: Set<String>) throws(CeleriacError) {
        guard let contentType, !contentType.isEmpty else {
            throw error(.contentTypeRefused, "the message has no content type", headers: headers)
        }
        let type = normalizedContentType(contentType)
        guard accept.contains(type) || accept.contains(where: { normalizedContentType($0) == type }) else {
            throw error(.contentTypeRefused, "refusing to deserialize untrusted content of type \(type)", headers: headers)
        }
        guard type == "application/json" else {
            throw error(.contentTypeRefused, "cannot deserialize content of type \(type): Celeriac reads only application/json", headers: headers)
        }
        if let compression = headers["compression"], compression != .null {
            let name = compression.stringValue ?? WireFields.typeName(compression)
            throw error(.contentTypeRefused, "cannot decompress a body compressed with \(name)", headers: headers)
        }
    }

    /// A MIME type in lower case without parameters; Celery's short serializer names map to their MIME types.
    static func normalizedContentType(_ text: String) -> String {
        if text == ContentType.json { return text }  // what every message carries
        var type = Substring(text)
        if let semicolon = type.firstIndex(of: ";") { type = type[..<semicolon] }
        let lowered = type.trimmingSpaces().lowercased()
        switch lowered {
        case "json": return "application/json"
        case "pickle": return "application/x-python-serialize"
        case "yaml": return "application/x-yaml"
        case "msgpack": return "application/x-msgpack"
        default: return lowered
        }
    }

    /// An error that names the task when the headers do.
    private static func error(_ code: CeleriacError.Code, _ message: String, headers: JSONObject) -> CeleriacError {
        CeleriacError(code, message, taskID: headers["id"]?.stringValue, taskName: headers["task"]?.stringValue)
    }

    /// The body `[args, kwargs, embed]` as Python's `json.dumps` writes it: the bytes of an AMQP body, and what
    /// a kombu envelope base64-encodes.
    /// - Returns: the UTF-8 JSON bytes.
    public func bodyBytes() -> [UInt8] {
        JSONValue.array([.array(args), .object(kwargs), .object(embed.jsonObject())]).serializedBytes(.python)
    }

    /// The kombu envelope, in Celery's key order: `body`, `content-encoding`, `content-type`, `headers`,
    /// `properties` (see ``TaskHeaders/jsonObject()`` and ``MessageProperties/jsonObject()`` for theirs).
    ///
    /// The body is base64 of ``bodyBytes()`` when ``MessageProperties/bodyEncoding`` is `"base64"` (kombu's
    /// virtual transports), the JSON text itself otherwise.
    /// - Returns: the envelope object.
    public func envelope() -> JSONObject {
        let body = bodyBytes()
        let bodyText = properties.bodyEncoding == "base64" ? Base64.encodeToString(body) : String(decoding: body, as: UTF8.self)
        return JSONObject([
            ("body", .string(bodyText)),
            ("content-encoding", .string(contentEncoding)),
            ("content-type", .string(contentType)),
            ("headers", .object(headers.jsonObject())),
            ("properties", .object(properties.jsonObject())),
        ])
    }

    /// The kombu envelope as Python's `json.dumps` writes it: what Celery `LPUSH`es onto a Redis list. A
    /// message Celery sent, decoded and encoded again, gives the same bytes.
    /// - Returns: the UTF-8 JSON bytes.
    public func envelopeBytes() -> [UInt8] {
        JSONValue.object(envelope()).serializedBytes(.python)
    }
}

extension Substring {
    /// The text without leading and trailing spaces and tabs.
    fileprivate func trimmingSpaces() -> Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }
}
