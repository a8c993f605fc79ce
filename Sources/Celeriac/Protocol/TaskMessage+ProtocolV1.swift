extension TaskMessage {
    /// Converts a protocol v1 message (Celery 3.x and `task_protocol = 1`) to the v2 fields.
    ///
    /// A v1 message has no `task` header; its body is one object, as `celery/app/amqp.py:as_task_v1` writes it:
    /// `{task, id, args, kwargs, group, group_index, retries, eta, expires, utc, callbacks, errbacks,
    /// timelimit, taskset, chord}`. This follows `celery/worker/strategy.py:hybrid_to_proto2`: the v2 headers
    /// come from the body (`lang`, `task`, `id`, `root_id`, `parent_id`, `group` or else `taskset`, `meth`,
    /// `shadow`, `eta`, `expires`, `retries`, `timelimit`, `argsrepr`, `kwargsrepr`, `origin`), then the
    /// message's own headers override them; the embed takes `callbacks`, `errbacks` and `chord`. Beyond
    /// Python: `group_index` is kept, and a missing `argsrepr`/`kwargsrepr` is computed (``JSONValue/pythonArgsRepr(_:)``).
    /// `utc: false` (a naive local-time `eta`) is not honoured: naive times are read as UTC. `meth` is kept as an
    /// extra header.
    init(
        protocolV1Body body: JSONObject, headers messageHeaders: JSONObject, properties: MessageProperties,
        contentType: String, contentEncoding: String
    ) throws(CeleriacError) {
        let fields = WireFields(object: body, kind: "protocol v1 body key")
        let taskName = body["task"]?.stringValue
        let taskID = body["id"]?.stringValue
        func fail(_ message: String) -> CeleriacError {
            CeleriacError(.malformedMessage, message, taskID: taskID, taskName: taskName)
        }
        let args: [JSONValue]
        switch body["args"] {
        case nil, .null?: args = []
        case .array(let list)?: args = list
        case let other?: throw fail("protocol v1 'args' must be a list, found \(WireFields.typeName(other))")
        }
        let kwargs: JSONObject
        switch body["kwargs"] {
        case nil, .null?: kwargs = [:]
        case .object(let object)?: kwargs = object
        case let other?: throw fail("task keyword arguments must be a mapping, found \(WireFields.typeName(other))")
        }

        var pairs: [(String, JSONValue)] = [
            ("lang", body["lang"] ?? .string("py")),
            ("task", body["task"] ?? .null),
            ("id", body["id"] ?? .null),
            ("shadow", body["shadow"] ?? .null),
            ("eta", body["eta"] ?? .null),
            ("expires", body["expires"] ?? .null),
            ("group", nonNull(body["group"]) ?? body["taskset"] ?? .null),
            ("group_index", body["group_index"] ?? .null),
            ("retries", body["retries"] ?? .int(0)),
            ("timelimit", body["timelimit"] ?? .array([.null, .null])),
            ("root_id", body["root_id"] ?? .null),
            ("parent_id", body["parent_id"] ?? .null),
            ("argsrepr", body["argsrepr"] ?? .string(JSONValue.pythonArgsRepr(args))),
            ("kwargsrepr", body["kwargsrepr"] ?? .string(JSONValue.pythonKwargsRepr(kwargs))),
            ("origin", body["origin"] ?? .null),
        ]
        if let meth = body["meth"] { pairs.append(("meth", meth)) }
        var merged = JSONObject(pairs)
        for pair in messageHeaders { merged[pair.key] = pair.value }

        let headers: TaskHeaders
        do throws(CeleriacError) {
            headers = try TaskHeaders(jsonObject: merged)
        } catch {
            throw fail("protocol v1 message: \(error.message)")
        }
        let embed = TaskEmbed(
            callbacks: try fields.list("callbacks"), errbacks: try fields.list("errbacks"), chain: nil,
            chord: nonNull(body["chord"]))
        self.init(headers: headers, properties: properties, args: args, kwargs: kwargs, embed: embed,
                  contentType: contentType, contentEncoding: contentEncoding)
    }
}

/// The value, or nil when it is absent or JSON null (`JSONValue` is nil-literal convertible, so a `nil` in a
/// closure returning `JSONValue?` would quietly become `.null`).
private func nonNull(_ value: JSONValue?) -> JSONValue? {
    if case .null? = value { return nil }
    return value
}
