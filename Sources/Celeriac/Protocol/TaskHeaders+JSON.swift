extension TaskHeaders {
    /// The header names ``TaskHeaders`` has fields for; others go to ``extra``.
    static let knownKeys = WireKeyTable([
        "lang", "task", "id", "shadow", "eta", "expires", "group", "group_index", "retries", "timelimit", "root_id",
        "parent_id", "argsrepr", "kwargsrepr", "origin", "ignore_result", "replaced_task_nesting", "stamped_headers",
        "stamps", "redelivered",
    ])

    /// Reads protocol v2 headers from their JSON object (a kombu envelope's `headers`, or an AMQP header table).
    ///
    /// `task` and `id` are required. Other fields may be missing or null and then take their defaults; headers
    /// with no field here are kept in ``extra`` in their order.
    /// - Parameter jsonObject: the headers.
    /// - Throws: ``CeleriacError`` with code ``CeleriacError/Code/malformedMessage`` when `task` or `id` is missing
    ///   or a header has the wrong JSON type.
    public init(jsonObject: JSONObject) throws(CeleriacError) {
        let fields = WireFields(object: jsonObject, kind: "header", known: Self.knownKeys)
        guard let task = try fields.string("task") else {
            throw CeleriacError(
                .malformedMessage, "no 'task' header: this is not a Celery task message", taskID: fields["id"]?.stringValue)
        }
        guard let id = try fields.string("id") else {
            throw CeleriacError(.malformedMessage, "no 'id' header", taskName: task)
        }
        self.init(task: task, id: id)
        do throws(CeleriacError) {
            lang = try fields.string("lang") ?? "py"
            shadow = try fields.string("shadow")
            eta = try fields.string("eta")
            expires = try fields.string("expires")
            group = try fields.string("group")
            groupIndex = try fields.int("group_index")
            retries = try fields.int("retries") ?? 0
            (timeLimit, softTimeLimit) = try Self.timeLimits(fields["timelimit"])
            rootID = try fields.string("root_id")
            parentID = try fields.string("parent_id")
            argsrepr = try fields.string("argsrepr")
            kwargsrepr = try fields.string("kwargsrepr")
            origin = try fields.string("origin")
            ignoreResult = try fields.bool("ignore_result")
            replacedTaskNesting = try fields.int("replaced_task_nesting") ?? 0
            stampedHeaders = fields["stamped_headers"] ?? .null
            stamps = try fields.object("stamps") ?? [:]
            redelivered = try fields.bool("redelivered")
            extra = fields.unknown
        } catch {
            var error = error
            error.taskID = id
            error.taskName = task
            throw error
        }
    }

    /// `[hard, soft]`, each a number or null; a missing or null header means no limits.
    private static func timeLimits(_ value: JSONValue?) throws(CeleriacError) -> (Double?, Double?) {
        switch value {
        case nil, .null?: return (nil, nil)
        case .array(let limits)? where limits.count == 2:
            func limit(_ value: JSONValue) throws(CeleriacError) -> Double? {
                switch value {
                case .null: return nil
                case .int(let i): return Double(i)
                case .double(let d): return d
                default: throw WireFields.malformed("header 'timelimit' must hold numbers or nulls, found \(WireFields.typeName(value))")
                }
            }
            return (try limit(limits[0]), try limit(limits[1]))
        case let other?:
            throw WireFields.malformed("header 'timelimit' must be a list [hard, soft], found \(WireFields.typeName(other))")
        }
    }

    /// The headers as Celery writes them (`celery/app/amqp.py:as_task_v2`), in its order.
    ///
    /// `lang, task, id, shadow, eta, expires, group, group_index, retries, timelimit, root_id, parent_id,
    /// argsrepr, kwargsrepr, origin, ignore_result, replaced_task_nesting, stamped_headers, stamps`, then the
    /// ``extra`` headers, then `redelivered` when set (a worker's restore adds it last, after any custom
    /// headers). Time limits that are whole numbers are written as integers, as Python sends `time_limit=30`.
    /// - Returns: the headers object.
    public func jsonObject() -> JSONObject {
        var pairs: [(String, JSONValue)] = [
            ("lang", .string(lang)),
            ("task", .string(task)),
            ("id", .string(id)),
            ("shadow", .nullable(shadow)),
            ("eta", .nullable(eta)),
            ("expires", .nullable(expires)),
            ("group", .nullable(group)),
            ("group_index", .nullable(groupIndex)),
            ("retries", .int(retries)),
            ("timelimit", .array([.number(timeLimit), .number(softTimeLimit)])),
            ("root_id", .nullable(rootID)),
            ("parent_id", .nullable(parentID)),
            ("argsrepr", .nullable(argsrepr)),
            ("kwargsrepr", .nullable(kwargsrepr)),
            ("origin", .nullable(origin)),
            ("ignore_result", .nullable(ignoreResult)),
            ("replaced_task_nesting", .int(replacedTaskNesting)),
            ("stamped_headers", stampedHeaders),
            ("stamps", .object(stamps)),
        ]
        pairs.reserveCapacity(pairs.count + extra.count + 1)
        for pair in extra where !Self.knownKeys.contains(pair.key) { pairs.append((pair.key, pair.value)) }
        if let redelivered { pairs.append(("redelivered", .bool(redelivered))) }
        return JSONObject(pairs)
    }
}
