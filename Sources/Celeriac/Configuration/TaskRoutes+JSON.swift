extension TaskRoutes {
    /// Reads Celery's `task_routes` dict form: `{"tasks.add": {"queue": "math"}, "images.*": "media"}`.
    ///
    /// A route is a queue name or an object with `queue`, `routing_key`, `priority` (0-9) and `exchange`;
    /// other keys are kept in ``TaskRoute/options``. A route without `queue` uses its `routing_key` as the queue.
    /// - Parameters:
    ///   - object: the mapping, in order.
    ///   - name: the setting's name for error messages (`CELERY_TASK_ROUTES`).
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/invalidConfiguration``) naming the task and the bad field.
    public init(json object: JSONObject, name: String = "task_routes") throws(CeleriacError) {
        self.init()
        for (pattern, value) in object {
            self[pattern] = try TaskRoute(json: value, context: "\(name): the route for \"\(pattern)\"")
        }
    }
}

extension TaskRoute {
    /// Reads one route: a queue name, or an object with `queue`, `routing_key`, `priority`, `exchange`.
    ///
    /// - Parameters:
    ///   - value: the route as JSON.
    ///   - context: what to call it in error messages.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/invalidConfiguration``) when a field has the wrong type.
    public init(json value: JSONValue, context: String = "route") throws(CeleriacError) {
        if let queue = value.stringValue, !queue.isEmpty {
            self.init(queue: queue)
            return
        }
        guard let object = value.objectValue else {
            throw CeleriacError(
                .invalidConfiguration,
                "\(context) must be a queue name or an object like {\"queue\": \"name\"}, got \(ConfigText.render(value))"
            )
        }
        var queue: String?
        var routingKey: String?
        var priority: Int?
        var exchange: String?
        var options: JSONObject = [:]
        func string(_ field: String, _ value: JSONValue) throws(CeleriacError) -> String? {
            if value.isNull { return nil }
            guard let text = value.stringValue else {
                throw CeleriacError(.invalidConfiguration, "\(context): \"\(field)\" must be a string, got \(ConfigText.render(value))")
            }
            return text
        }
        for (key, field) in object {
            switch key {
            case "queue": queue = try string(key, field)
            case "routing_key": routingKey = try string(key, field)
            case "exchange": exchange = try string(key, field)
            case "priority":
                if field.isNull { break }
                guard let number = field.intValue, (0...9).contains(number) else {
                    throw CeleriacError(.invalidConfiguration, "\(context): \"priority\" must be an integer from 0 to 9, got \(ConfigText.render(field))")
                }
                priority = number
            default: options[key] = field
            }
        }
        guard let resolvedQueue = queue ?? routingKey, !resolvedQueue.isEmpty else {
            throw CeleriacError(.invalidConfiguration, "\(context) has no \"queue\": write {\"queue\": \"name\"}")
        }
        self.init(queue: resolvedQueue, routingKey: routingKey, priority: priority, exchange: exchange, options: options)
    }
}
