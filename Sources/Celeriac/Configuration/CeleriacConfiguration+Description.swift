extension CeleriacConfiguration: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The settings with Celery's lowercase names, safe to print or log: passwords in URLs are replaced by
    /// `***`, and transport options keys that mention a password are hidden.
    public var redactedSettings: JSONObject {
        func optional<T>(_ value: T?, _ wrap: (T) -> JSONValue) -> JSONValue { value.map(wrap) ?? .null }
        func number(_ value: Double) -> JSONValue {
            value.rounded() == value && abs(value) < 1e15 ? .int(Int(value)) : .double(value)
        }
        let policy = taskPublishRetryPolicy
        let retryPolicy: JSONObject = [
            "max_retries": policy.maxRetries == .max ? .null : .int(policy.maxRetries),
            "interval_start": number(policy.intervalStart), "interval_step": number(policy.intervalStep),
            "interval_max": number(policy.intervalMax),
        ]
        var routes = JSONObject()
        for (pattern, route) in taskRoutes {
            var object: JSONObject = ["queue": .string(route.queue)]
            if let routingKey = route.routingKey { object["routing_key"] = .string(routingKey) }
            if let priority = route.priority { object["priority"] = .int(priority) }
            if let exchange = route.exchange { object["exchange"] = .string(exchange) }
            for (key, value) in route.options { object[key] = value }
            routes[pattern] = .object(object)
        }
        return [
            "broker_url": .string(ServiceURL.redact(effectiveBrokerURL)),
            "result_backend": optional(effectiveResultBackend) { .string(ServiceURL.redact($0)) },
            "broker_transport_options": Self.hidingPasswords(.object(brokerTransportOptions.json)),
            "result_backend_transport_options": Self.hidingPasswords(.object(resultBackendTransportOptions)),
            "broker_use_ssl": optional(brokerUseSSL) { .object($0) },
            "redis_backend_use_ssl": optional(redisBackendUseSSL) { .object($0) },
            "broker_connection_timeout": number(brokerConnectionTimeout),
            "broker_connection_retry": .bool(brokerConnectionRetry),
            "broker_connection_max_retries": optional(brokerConnectionMaxRetries, JSONValue.int),
            "timezone": .string(timezone),
            "enable_utc": .bool(enableUTC),
            "beat_schedule": .object(beatSchedule),
            "task_serializer": .string(taskSerializer),
            "result_serializer": .string(resultSerializer),
            "accept_content": .array(acceptContent.map(JSONValue.string)),
            "task_acks_late": .bool(taskAcksLate),
            "task_reject_on_worker_lost": .bool(taskRejectOnWorkerLost),
            "task_track_started": .bool(taskTrackStarted),
            "task_ignore_result": .bool(taskIgnoreResult),
            "task_default_queue": .string(taskDefaultQueue),
            "task_default_priority": optional(taskDefaultPriority, JSONValue.int),
            "task_routes": .object(routes),
            "task_time_limit": optional(taskTimeLimit, number),
            "task_soft_time_limit": optional(taskSoftTimeLimit, number),
            "task_default_rate_limit": optional(taskDefaultRateLimit, JSONValue.string),
            "task_publish_retry": .bool(taskPublishRetry),
            "task_publish_retry_policy": .object(retryPolicy),
            "task_send_sent_event": .bool(taskSendSentEvent),
            "result_expires": optional(resultExpires, number),
            "result_extended": .bool(resultExtended),
            "worker_concurrency": optional(workerConcurrency, JSONValue.int),
            "worker_prefetch_multiplier": .int(workerPrefetchMultiplier),
            "worker_eta_task_limit": optional(workerEtaLimit, JSONValue.int),
            "worker_send_task_events": .bool(workerSendTaskEvents),
            "celeriac_worker_hostname": optional(workerHostname, JSONValue.string),
            "celeriac_dead_letter": .string(deadLetterEnabled ? "keep" : "discard"),
            "celeriac_max_message_size": .int(maxMessageSize),
        ]
    }

    /// The main settings on one line, passwords hidden.
    public var description: String {
        let workers = workerConcurrency.map(String.init) ?? "CPUs"
        return "CeleriacConfiguration(broker_url: \(ServiceURL.redact(effectiveBrokerURL)), "
            + "result_backend: \(effectiveResultBackend.map(ServiceURL.redact) ?? "none"), "
            + "task_default_queue: \(taskDefaultQueue), worker_concurrency: \(workers))"
    }

    /// Same as ``description``: no passwords.
    public var debugDescription: String { description }

    /// A mirror over ``redactedSettings``, so `dump(config)` cannot leak a password.
    public var customMirror: Mirror {
        Mirror(self, children: redactedSettings.map { (label: Optional($0.key), value: ConfigText.render($0.value) as Any) }, displayStyle: .struct)
    }

    /// Replaces the value of every key mentioning "password" (at any depth) by `"***"`.
    static func hidingPasswords(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            var result = JSONObject()
            for (key, inner) in object {
                result[key] = key.lowercased().contains("password") ? .string("***") : hidingPasswords(inner)
            }
            return .object(result)
        case .array(let array):
            return .array(array.map(hidingPasswords))
        default:
            return value
        }
    }
}
