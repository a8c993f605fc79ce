extension MessageProperties {
    /// The property names ``MessageProperties`` has fields for; others go to ``extra``.
    static let knownKeys = WireKeyTable([
        "correlation_id", "reply_to", "delivery_mode", "expiration", "delivery_info", "priority", "body_encoding",
        "delivery_tag",
    ])

    /// Reads kombu message properties from their JSON object (a kombu envelope's `properties`).
    ///
    /// `delivery_info` gives ``exchange``, ``routingKey`` and ``redelivered`` (other keys in it are dropped);
    /// a missing `delivery_info` (AMQP, where the deliver method carries it) keeps the defaults. A numeric
    /// `expiration` or `delivery_tag` is read as its decimal text. Properties with no field here are kept in
    /// ``extra`` in their order.
    /// - Parameter jsonObject: the properties.
    /// - Throws: ``CeleriacError`` with code ``CeleriacError/Code/malformedMessage`` when a property has the
    ///   wrong JSON type.
    public init(jsonObject: JSONObject) throws(CeleriacError) {
        self.init()
        let fields = WireFields(object: jsonObject, kind: "property", known: Self.knownKeys)
        correlationID = try fields.string("correlation_id")
        replyTo = try fields.string("reply_to")
        deliveryMode = try fields.int("delivery_mode") ?? 2
        expiration = try Self.text(fields, "expiration")
        if let info = try fields.object("delivery_info") {
            let infoFields = WireFields(object: info, kind: "delivery_info key")
            exchange = try infoFields.string("exchange") ?? ""
            routingKey = try infoFields.string("routing_key") ?? routingKey
            redelivered = try infoFields.bool("redelivered")
        }
        priority = try fields.int("priority") ?? 0
        bodyEncoding = try fields.string("body_encoding") ?? "base64"
        deliveryTag = try Self.text(fields, "delivery_tag")
        extra = fields.unknown
    }

    /// A string property that some producers send as a number.
    private static func text(_ fields: WireFields, _ key: String) throws(CeleriacError) -> String? {
        if case .int(let i)? = fields[key] { return String(i) }
        return try fields.string(key)
    }

    /// The properties as a kombu virtual transport delivers them, in its order.
    ///
    /// `correlation_id`, `reply_to` (each only when set), then the ``extra`` properties (Celery passes custom
    /// publish options there, right after `reply_to`: a retried message carries `origin` in that place), then
    /// `delivery_mode`, `expiration` (only when set), `delivery_info` (`exchange`, `routing_key`, and
    /// `redelivered` when set), `priority`, `body_encoding`, and `delivery_tag` (only when set: kombu's Redis
    /// transport needs one, a fresh UUID per publish, so a broker sets it before publishing).
    /// - Returns: the properties object.
    public func jsonObject() -> JSONObject {
        var pairs: [(String, JSONValue)] = []
        pairs.reserveCapacity(9 + extra.count)
        if let correlationID { pairs.append(("correlation_id", .string(correlationID))) }
        if let replyTo { pairs.append(("reply_to", .string(replyTo))) }
        for pair in extra where !Self.knownKeys.contains(pair.key) { pairs.append((pair.key, pair.value)) }
        pairs.append(("delivery_mode", .int(deliveryMode)))
        if let expiration { pairs.append(("expiration", .string(expiration))) }
        var info: [(String, JSONValue)] = [("exchange", .string(exchange)), ("routing_key", .string(routingKey))]
        if let redelivered { info.append(("redelivered", .bool(redelivered))) }
        pairs.append(("delivery_info", .object(JSONObject(info))))
        pairs.append(("priority", .int(priority)))
        pairs.append(("body_encoding", .string(bodyEncoding)))
        if let deliveryTag { pairs.append(("delivery_tag", .string(deliveryTag))) }
        return JSONObject(pairs)
    }
}
