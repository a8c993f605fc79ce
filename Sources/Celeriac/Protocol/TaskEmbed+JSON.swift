extension TaskEmbed {
    /// The embed keys ``TaskEmbed`` has fields for; others go to ``extra``.
    static let knownKeys = WireKeyTable(["callbacks", "errbacks", "chain", "chord"])

    /// Reads the body's third element; `null` gives an empty embed.
    /// - Parameter json: the embed object, or null.
    /// - Throws: ``CeleriacError`` with code ``CeleriacError/Code/malformedMessage`` when it is neither an object
    ///   nor null, or `callbacks`, `errbacks` or `chain` is not a list.
    public init(json: JSONValue) throws(CeleriacError) {
        self.init()
        switch json {
        case .null: return
        case .object(let object):
            let fields = WireFields(object: object, kind: "embed key", known: Self.knownKeys)
            callbacks = try fields.list("callbacks")
            errbacks = try fields.list("errbacks")
            chain = try fields.list("chain")
            if let chord = fields["chord"], chord != .null { self.chord = chord }
            extra = fields.unknown
        default:
            throw WireFields.malformed("the body's third element (embed) must be an object or null, found \(WireFields.typeName(json))")
        }
    }

    /// The embed as Celery writes it: `callbacks`, `errbacks`, `chain`, `chord` (null when unset), then ``extra``.
    /// - Returns: the embed object.
    public func jsonObject() -> JSONObject {
        var pairs: [(String, JSONValue)] = [
            ("callbacks", callbacks.map { .array($0) } ?? .null),
            ("errbacks", errbacks.map { .array($0) } ?? .null),
            ("chain", chain.map { .array($0) } ?? .null),
            ("chord", chord ?? .null),
        ]
        for pair in extra where !Self.knownKeys.contains(pair.key) { pairs.append((pair.key, pair.value)) }
        return JSONObject(pairs)
    }
}
