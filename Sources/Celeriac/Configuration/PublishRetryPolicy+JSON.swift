extension PublishRetryPolicy {
    /// Reads Celery's `task_publish_retry_policy` / `retry_policy` dict:
    /// `{"max_retries": 3, "interval_start": 0, "interval_step": 0.2, "interval_max": 1}`.
    ///
    /// Keys that are absent keep `base`'s values; `"max_retries": null` retries forever (`Int.max`).
    /// - Parameters:
    ///   - object: the policy as JSON.
    ///   - base: the values for absent keys.
    ///   - name: the setting's name for error messages.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/invalidConfiguration``) for an unknown key or a value
    ///   that is not a non-negative number.
    public init(json object: JSONObject, base: PublishRetryPolicy = PublishRetryPolicy(), name: String = "retry_policy") throws(CeleriacError) {
        self = base
        for (key, value) in object {
            if key == "max_retries" {
                if value.isNull {
                    maxRetries = .max
                    continue
                }
                guard let number = value.intValue, number >= 0 else {
                    throw CeleriacError(.invalidConfiguration, "\(name): max_retries must be a non-negative integer or null, got \(ConfigText.render(value))")
                }
                maxRetries = number
                continue
            }
            let path: WritableKeyPath<PublishRetryPolicy, Double>
            switch key {
            case "interval_start": path = \.intervalStart
            case "interval_step": path = \.intervalStep
            case "interval_max": path = \.intervalMax
            default:
                throw CeleriacError(
                    .invalidConfiguration,
                    "\(name): unknown key \"\(key)\" (expected max_retries, interval_start, interval_step, interval_max)"
                )
            }
            guard let seconds = value.doubleValue, seconds.isFinite, seconds >= 0 else {
                throw CeleriacError(.invalidConfiguration, "\(name): \(key) must be a non-negative number of seconds, got \(ConfigText.render(value))")
            }
            self[keyPath: path] = seconds
        }
    }
}
