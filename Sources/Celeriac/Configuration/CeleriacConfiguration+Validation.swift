import Foundation

extension CeleriacConfiguration {
    /// Checks the settings together: URLs parse and suit their role, numbers are in range, the time zone
    /// and the rate limit are valid, serialization is JSON.
    ///
    /// Checks made:
    /// - `broker_url` parses as a ``ServiceURL`` with a broker scheme (sqlite, redis, rediss, sentinel, amqp,
    ///   amqps, pyamqp, memory); `result_backend` with a backend scheme (sqlite, redis, rediss, sentinel, rpc,
    ///   db+postgresql, django-db, memory);
    /// - `worker_concurrency` ≥ 1 when set, `worker_prefetch_multiplier` ≥ 0, `worker_eta_task_limit` ≥ 1;
    /// - priorities (default and in routes) from 0 to 9;
    /// - `timezone` is a known time zone identifier (`TimeZone(identifier:)`), and `beat_schedule` parses;
    /// - `task_default_rate_limit` is a valid Celery rate string;
    /// - serializers are `json` and `accept_content` includes JSON;
    /// - time limits, timeouts and sizes are positive; `result_expires` is not negative.
    ///
    /// - Throws: one ``CeleriacError`` (``CeleriacError/Code/invalidConfiguration``) listing every problem,
    ///   separated by `; `. URLs in it have their password replaced by `***`.
    public func validate() throws(CeleriacError) {
        var problems: [String] = []
        checkURL("broker_url", effectiveBrokerURL, allowed: ServiceURL.Scheme.brokerSchemes, into: &problems)
        if let backend = effectiveResultBackend {
            checkURL("result_backend", backend, allowed: ServiceURL.Scheme.backendSchemes, into: &problems)
        }
        if let workerConcurrency, workerConcurrency < 1 {
            problems.append("worker_concurrency must be at least 1 (or nil for the number of CPUs), got \(workerConcurrency)")
        }
        if workerPrefetchMultiplier < 0 {
            problems.append("worker_prefetch_multiplier must be 0 or more, got \(workerPrefetchMultiplier)")
        }
        if let workerEtaLimit, workerEtaLimit < 1 {
            problems.append("worker_eta_task_limit must be at least 1 (or nil for no bound), got \(workerEtaLimit)")
        }
        if let taskDefaultPriority, !(0...9).contains(taskDefaultPriority) {
            problems.append("task_default_priority must be from 0 to 9, got \(taskDefaultPriority)")
        }
        for (pattern, route) in taskRoutes {
            if let priority = route.priority, !(0...9).contains(priority) {
                problems.append("task_routes: the priority for \"\(pattern)\" must be from 0 to 9, got \(priority)")
            }
            if route.queue.isEmpty { problems.append("task_routes: the queue for \"\(pattern)\" is empty") }
        }
        if taskDefaultQueue.isEmpty { problems.append("task_default_queue must not be empty") }
        if TimeZone(identifier: timezone) == nil {
            problems.append("timezone \"\(timezone)\" is not a known time zone identifier (such as \"UTC\" or \"Europe/Paris\")")
        } else {
            do throws(CeleriacError) {
                _ = try beatEntries()
            } catch {
                problems.append(error.message)
            }
        }
        do throws(CeleriacError) {
            _ = try RateLimit.parse(taskDefaultRateLimit)
        } catch {
            problems.append("task_default_rate_limit: \(error.message)")
        }
        for (name, value) in [("task_serializer", taskSerializer), ("result_serializer", resultSerializer)] where !Self.isJSONContentType(value) {
            problems.append("\(name): Celeriac speaks JSON only, so it must be \"json\"; got \"\(value)\"")
        }
        if !acceptContent.contains(where: Self.isJSONContentType) {
            problems.append("accept_content: Celeriac speaks JSON only, so it must include \"json\"; got \(acceptContent)")
        }
        checkPositive(
            [
                ("task_time_limit", taskTimeLimit), ("task_soft_time_limit", taskSoftTimeLimit),
                ("broker_connection_timeout", brokerConnectionTimeout),
                ("broker_transport_options.visibility_timeout", brokerTransportOptions.visibilityTimeout),
                ("celeriac_max_message_size", Double(maxMessageSize)),
            ],
            into: &problems
        )
        if let resultExpires, !(resultExpires >= 0) {
            problems.append("result_expires must be 0 or more seconds (or nil to keep results), got \(resultExpires)")
        }
        if let brokerConnectionMaxRetries, brokerConnectionMaxRetries < 0 {
            problems.append("broker_connection_max_retries must be 0 or more, got \(brokerConnectionMaxRetries)")
        }
        let policy = taskPublishRetryPolicy
        if policy.maxRetries < 0 || !(policy.intervalStart >= 0 && policy.intervalStep >= 0 && policy.intervalMax >= 0) {
            problems.append("task_publish_retry_policy: retries and intervals must not be negative")
        }
        guard problems.isEmpty else {
            throw CeleriacError(.invalidConfiguration, problems.joined(separator: "; "))
        }
    }

    /// Parses a URL and checks its scheme (and its alternates') against the role's schemes.
    private func checkURL(_ name: String, _ text: String, allowed: [ServiceURL.Scheme], into problems: inout [String]) {
        let url: ServiceURL
        do throws(CeleriacError) {
            url = try ServiceURL(text)
        } catch {
            problems.append("\(name): \(error.message)")
            return
        }
        guard allowed.contains(url.scheme) else {
            let list = allowed.map { $0 == .djangoDB ? $0.rawValue : $0.rawValue + "://" }.joined(separator: ", ")
            problems.append("\(name) \"\(url)\" uses \(url.scheme), which cannot be used for \(name); use one of \(list)")
            return
        }
    }

    /// Appends a problem for each value that is set and not a positive finite number.
    private func checkPositive(_ values: [(String, Double?)], into problems: inout [String]) {
        for case let (name, value?) in values where !(value > 0 && value.isFinite) {
            problems.append("\(name) must be a positive number, got \(value)")
        }
    }
}
