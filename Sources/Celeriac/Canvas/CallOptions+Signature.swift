import struct Foundation.Date

extension CallOptions {
    /// Call options from a signature's `options`, as Celery's `apply_async` reads them.
    public init(signatureOptions options: JSONObject) {
        self.init()
        taskID = options["task_id"]?.stringValue
        queue = options["queue"]?.stringValue
        routingKey = options["routing_key"]?.stringValue
        priority = options["priority"]?.intValue
        countdown = options["countdown"]?.doubleValue
        if let eta = options["eta"]?.stringValue { self.eta = CeleryTimestamp.parse(eta) }
        switch options["expires"] {
        case .string(let text)?: expires = CeleryTimestamp.parse(text).map(Expiry.date)
        case let value?: expires = value.doubleValue.map(Expiry.seconds)
        case nil: break
        }
        headers = options["headers"]?.objectValue ?? [:]
        link = Self.signatures(options["link"])
        linkError = Self.signatures(options["link_error"])
        ignoreResult = options["ignore_result"]?.boolValue
        timeLimit = options["time_limit"]?.doubleValue
        softTimeLimit = options["soft_time_limit"]?.doubleValue
        shadow = options["shadow"]?.stringValue
        parentID = options["parent_id"]?.stringValue
        rootID = options["root_id"]?.stringValue
        groupID = options["group_id"]?.stringValue
        groupIndex = options["group_index"]?.intValue
    }

    /// The options as a signature's `options`, with Celery's names (only those set).
    public var signatureOptions: JSONObject {
        var options: JSONObject = [:]
        if let taskID { options["task_id"] = .string(taskID) }
        if let queue { options["queue"] = .string(queue) }
        if let routingKey { options["routing_key"] = .string(routingKey) }
        if let priority { options["priority"] = .int(priority) }
        if let countdown { options["countdown"] = .double(countdown) }
        if let eta { options["eta"] = .string(CeleryTimestamp.format(eta)) }
        switch expires {
        case .seconds(let seconds)?: options["expires"] = .double(seconds)
        case .date(let date)?: options["expires"] = .string(CeleryTimestamp.format(date))
        case nil: break
        }
        if !headers.isEmpty { options["headers"] = .object(headers) }
        if !link.isEmpty { options["link"] = .array(link.map { $0.json() }) }
        if !linkError.isEmpty { options["link_error"] = .array(linkError.map { $0.json() }) }
        if let ignoreResult { options["ignore_result"] = .bool(ignoreResult) }
        if let timeLimit { options["time_limit"] = .double(timeLimit) }
        if let softTimeLimit { options["soft_time_limit"] = .double(softTimeLimit) }
        if let shadow { options["shadow"] = .string(shadow) }
        if let parentID { options["parent_id"] = .string(parentID) }
        if let rootID { options["root_id"] = .string(rootID) }
        if let groupID { options["group_id"] = .string(groupID) }
        if let groupIndex { options["group_index"] = .int(groupIndex) }
        return options
    }

    /// `link` may be one signature or a list of them.
    private static func signatures(_ value: JSONValue?) -> [Signature] {
        switch value {
        case .array(let items)?: return items.compactMap { try? Signature(json: $0) }
        case .object?: return value.flatMap { try? Signature(json: $0) }.map { [$0] } ?? []
        default: return []
        }
    }
}
