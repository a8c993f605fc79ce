import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
/// `RUSAGE_SELF` as the `getrusage` argument type Glibc expects.
private let RUSAGE_SELF_WHO = __rusage_who_t(RUSAGE_SELF.rawValue)
#else
import Darwin
private let RUSAGE_SELF_WHO = RUSAGE_SELF
#endif

extension Worker {
    /// Listens for remote-control requests on the broker's pidbox and answers those for this node, until
    /// cancelled. Brokers without a ``ControlTransport`` get no remote control.
    func controlLoop() async {
        guard let transport = app.broker as? any ControlTransport else { return }
        var failures = 0
        while !Task.isCancelled {
            do {
                let requests = try await transport.controlRequests(hostname: configuration.hostname)
                failures = 0
                for try await envelope in requests {
                    await handleControlEnvelope(envelope, transport: transport)
                }
            } catch {
                if Task.isCancelled { return }
                failures += 1
                let wait = min(30.0, 0.2 * Double(1 << min(failures, 7)))
                logger.warning("remote control: listening failed; retrying", metadata: [LogKeys.error: "\(error)", "retry_in": "\(wait)s"])
                try? await Task.sleep(for: .seconds(wait))
            }
        }
    }

    private func handleControlEnvelope(_ envelope: [UInt8], transport: any ControlTransport) async {
        let request: ControlRequest
        let clock: Int?
        do {
            let (body, headers) = try ControlEnvelope.decode(envelope)
            request = try ControlRequest(body: body.objectValue ?? [:])
            clock = headers["clock"]?.intValue
        } catch {
            logger.warning("remote control: malformed request ignored", metadata: [LogKeys.error: "\(error)"])
            return
        }
        guard request.isFor(configuration.hostname) else { return }
        if let clock { events?.adjustClock(clock) }
        logger.debug("remote control request", metadata: ["method": "\(request.method)"])
        guard let reply = await handleControl(request) else { return }
        guard let ticket = request.ticket, let replyTo = request.replyTo else { return }
        let envelope = ControlEnvelope.reply(reply, hostname: configuration.hostname, ticket: ticket, routingKey: replyTo.routingKey, clock: events?.currentClock ?? 0)
        do {
            try await transport.sendControlReply(envelope, routingKey: replyTo.routingKey)
        } catch {
            logger.warning("remote control: sending the reply failed", metadata: ["method": "\(request.method)", LogKeys.error: "\(error)"])
        }
    }

    /// Runs one control command; `nil` means no reply (Celery sends none for `shutdown`, `heartbeat`, unknown
    /// methods).
    func handleControl(_ request: ControlRequest) async -> JSONValue? {
        let arguments = request.arguments
        switch request.method {
        case "ping": return .object(["ok": "pong"])
        case "clock": return .object(["clock": .int(events?.currentClock ?? 0)])
        case "hello":
            guard arguments["from_node"]?.stringValue != configuration.hostname else { return nil }
            return .object(["revoked": .array(revoked.withLock { $0.sorted() }.map(JSONValue.string)), "clock": .int(events?.currentClock ?? 0)])
        case "registered": return .array(registeredTaskLines().map(JSONValue.string))
        case "active": return .array(activeRequests(safe: Self.truthy(arguments["safe"])).map(JSONValue.object))
        case "reserved": return .array(reservedRequests(safe: Self.truthy(arguments["safe"])).map(JSONValue.object))
        case "scheduled": return .array(scheduledRequests().map(JSONValue.object))
        case "revoked": return .array(revoked.withLock { $0.sorted() }.map(JSONValue.string))
        case "stats": return .object(stats())
        case "active_queues": return .array(control.queues.withLock { $0 }.map { .object(Self.queueInfo($0)) })
        case "conf": return .object(app.configuration.redactedSettings)
        case "report": return .object(["ok": .string("software -> celeriac:\(CeleryEvent.softwareVersion) (Swift)\nworker -> \(configuration.hostname)\n")])
        case "query_task": return .object(queryTasks(ids: Self.idList(arguments["ids"])))
        case "revoke": return await revoke(arguments)
        case "rate_limit": return setRateLimit(arguments)
        case "time_limit": return setTimeLimit(arguments)
        case "enable_events", "disable_events":
            let enable = request.method == "enable_events"
            guard let events else { return .object(["error": "this broker carries no events"]) }
            let already = events.taskEventsEnabled == enable
            events.taskEventsEnabled = enable
            return .object(["ok": .string(already ? "task events already \(enable ? "enabled" : "disabled")" : "task events \(enable ? "enabled" : "disabled")")])
        case "heartbeat":
            let counts = self.counts
            await events?.sendNow(.worker("heartbeat", active: counts.active, processed: counts.processed, frequency: 5))
            return nil
        case "add_consumer":
            guard let queue = arguments["queue"]?.stringValue, !queue.isEmpty else { return .object(["error": "add_consumer needs a queue"]) }
            let added = control.queues.withLock { queues -> Bool in
                guard !queues.contains(queue) else { return false }
                queues.append(queue)
                return true
            }
            return .object(["ok": .string(added ? "add consumer \(queue)" : "already consuming from \(queue)")])
        case "cancel_consumer":
            guard let queue = arguments["queue"]?.stringValue else { return .object(["error": "cancel_consumer needs a queue"]) }
            control.queues.withLock { $0.removeAll { $0 == queue } }
            return .object(["ok": .string("no longer consuming from \(queue)")])
        case "shutdown":
            logger.warning("remote control: shutdown requested")
            beginShutdown()
            return nil
        case "pool_grow": return growPool(arguments)
        case "pool_shrink": return shrinkPool(arguments)
        case "autoscale": return setAutoscale(arguments)
        case "pool_restart": return .object(["error": "ValueError('Pool restarts not enabled')"])
        default:
            logger.error("No such control command", metadata: ["method": "\(request.method)"])
            return nil
        }
    }

    // MARK: Inspect

    /// Task names as `inspect registered` lists them, with `[rate_limit=...]` where one is set.
    private func registeredTaskLines() -> [String] {
        app.registry.names.sorted().map { name in
            let limit = control.rateLimits.withLock { $0[name] } ?? app.registry.task(named: name)?.options.rateLimit
            return limit.map { $0.isEmpty ? name : "\(name) [rate_limit=\($0)]" } ?? name
        }
    }

    /// Celery's request info (`worker/request.py:Request.info`).
    func requestInfo(_ message: TaskMessage, delivery: Delivery, timeStart: Double?, acknowledged: Bool, safe: Bool = false) -> JSONObject {
        let headers = message.headers
        return [
            "id": .string(headers.id), "name": .string(headers.task),
            "args": safe ? .string(headers.argsrepr ?? JSONValue.pythonArgsRepr(message.args)) : .array(message.args),
            "kwargs": safe ? .string(headers.kwargsrepr ?? JSONValue.pythonKwargsRepr(message.kwargs)) : .object(message.kwargs),
            "type": .string(headers.task), "hostname": .string(configuration.hostname),
            "time_start": timeStart.map(JSONValue.double) ?? .null, "acknowledged": .bool(acknowledged),
            "delivery_info": .object([
                "exchange": "", "routing_key": .string(delivery.queue), "priority": .int(message.properties.priority),
                "redelivered": .bool(delivery.redelivered),
            ]),
            "worker_pid": timeStart == nil ? .null : .int(System.processID),
        ]
    }

    private func activeRequests(safe: Bool) -> [JSONObject] {
        control.active.withLock { Array($0.values) }.map(activeInfo(safe: safe))
    }

    private func activeInfo(safe: Bool) -> (WorkerControlState.Active) -> JSONObject {
        { self.requestInfo($0.message, delivery: $0.delivery, timeStart: $0.timeStart, acknowledged: $0.acknowledged, safe: safe) }
    }

    private func reservedRequests(safe: Bool) -> [JSONObject] {
        ready.snapshot().map { requestInfo($0.message, delivery: $0.delivery, timeStart: nil, acknowledged: false, safe: safe) }
    }

    private func scheduledRequests() -> [JSONObject] {
        control.scheduled.withLock { Array($0.values) }.map { entry in
            [
                "eta": .string(entry.message.headers.eta ?? ""), "priority": .int(entry.message.properties.priority),
                "request": .object(requestInfo(entry.message, delivery: entry.delivery, timeStart: nil, acknowledged: false)),
            ]
        }
    }

    private func queryTasks(ids: [String]) -> JSONObject {
        var found: JSONObject = [:]
        let wanted = Set(ids)
        for active in control.active.withLock({ Array($0.values) }) where wanted.contains(active.message.headers.id) {
            found[active.message.headers.id] = .array(["active", .object(activeInfo(safe: false)(active))])
        }
        for item in ready.snapshot() where wanted.contains(item.message.headers.id) {
            found[item.message.headers.id] = .array(["reserved", .object(requestInfo(item.message, delivery: item.delivery, timeStart: nil, acknowledged: false))])
        }
        for (id, entry) in control.scheduled.withLock({ $0 }) where wanted.contains(id) {
            found[id] = .array(["scheduled", .object(requestInfo(entry.message, delivery: entry.delivery, timeStart: nil, acknowledged: false))])
        }
        return found
    }

    private func stats() -> JSONObject {
        let totals = control.totals.withLock { $0 }
        var usage = rusage()
        getrusage(RUSAGE_SELF_WHO, &usage)
        let pool = poolStats(started: totals.values.reduce(0, +))
        var stats: JSONObject = [
            "total": .object(JSONObject(totals.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.int($0.value)) })),
            "pid": .int(System.processID), "clock": .string("\(events?.currentClock ?? 0)"),
            "uptime": .int(Int(Date().timeIntervalSince(control.startedAt))),
            "pool": .object([
                "implementation": "celeriac:SwiftConcurrency", "max-concurrency": .int(pool.size),
                "processes": .array([.int(System.processID)]), "max-tasks-per-child": "N/A", "put-guarded-by-semaphore": false,
                "timeouts": .array([.double(app.configuration.taskSoftTimeLimit ?? 0), .double(app.configuration.taskTimeLimit ?? 0)]),
                "writes": .object(pool.writes),
            ]),
            "broker": .object(["transport": .string(ServiceURL.redact(app.configuration.effectiveBrokerURL).components(separatedBy: "://").first ?? "")]),
            "prefetch_count": .int(window.limit),
            "rusage": .object([
                "utime": .double(Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6),
                "stime": .double(Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6),
                "maxrss": .int(Int(usage.ru_maxrss)),
            ]),
        ]
        if let autoscaler = pool.autoscaler { stats["autoscaler"] = .object(autoscaler) }
        return stats
    }

    /// Celery's `active_queues` entry for a queue bound to the direct exchange of its own name.
    static func queueInfo(_ name: String) -> JSONObject {
        [
            "name": .string(name),
            "exchange": .object(["name": .string(name), "type": "direct", "arguments": .null, "durable": true, "passive": false, "auto_delete": false, "delivery_mode": .null, "no_declare": false]),
            "routing_key": .string(name), "queue_arguments": .null, "binding_arguments": .null, "consumer_arguments": .null,
            "durable": true, "exclusive": false, "auto_delete": false, "no_ack": false, "alias": .null, "bindings": .array([]),
            "no_declare": .null, "expires": .null, "message_ttl": .null, "max_length": .null, "max_length_bytes": .null, "max_priority": .null,
        ]
    }

    /// A task id argument that may be one id or a list (the CLI sends a list, the API a string).
    static func idList(_ value: JSONValue?) -> [String] {
        switch value {
        case .string(let id)?: [id]
        case .array(let ids)?: ids.compactMap(\.stringValue)
        default: []
        }
    }

    // MARK: Control

    /// Celery's `revoke` command (`worker/control.py:_revoke`): the ids join the revoked set (and the broker's
    /// shared one); REVOKED is stored at once for those not running here (``applyRevocation(_:includingUnheld:)``);
    /// with `terminate`, the ones running here are cancelled and end REVOKED.
    private func revoke(_ arguments: JSONObject) async -> JSONValue {
        let ids = Self.idList(arguments["task_id"])
        guard !ids.isEmpty else { return .object(["error": "revoke needs a task_id"]) }
        markRevoked(ids)
        if let store = app.broker as? any RevocationStore {
            do { try await store.revoke(ids) } catch {
                logger.warning("remote control: recording the revocation failed", metadata: [LogKeys.error: "\(error)"])
            }
        }
        // A task running here keeps its state: without track_started it reads PENDING, and REVOKED stored
        // over it would be followed by its own SUCCESS.
        await applyRevocation(ids, includingUnheld: true)
        var terminated: [String] = []
        if Self.truthy(arguments["terminate"]) {
            for id in ids {
                guard let active = control.active.withLock({ $0[id] }) else { continue }
                control.terminated.withLock { _ = $0.insert(id) }
                active.cancel()
                terminated.append(id)
            }
        }
        let set = "{" + ids.map { "'\($0)'" }.joined(separator: ", ") + "}"
        if !terminated.isEmpty { return .object(["ok": .string("tasks \(set) flagged as revoked; terminating \(terminated.count)")]) }
        return .object(["ok": .string("tasks \(set) flagged as revoked")])
    }

    private func setRateLimit(_ arguments: JSONObject) -> JSONValue {
        guard let name = arguments["task_name"]?.stringValue, app.registry.task(named: name) != nil else { return .object(["error": "unknown task"]) }
        let text: String
        switch arguments["rate_limit"] {
        case .string(let value)?: text = value
        case .int(let value)?: text = String(value)
        case .double(let value)?: text = String(value)
        default: text = ""
        }
        if !text.isEmpty, (try? RateLimit(text)) == nil { return .object(["error": .string("Invalid rate limit string: \(text)")]) }
        control.rateLimits.withLock { $0[name] = text }
        return .object(["ok": .string(text.isEmpty || text == "0" ? "rate limit disabled successfully" : "new rate limit set successfully")])
    }

    private func setTimeLimit(_ arguments: JSONObject) -> JSONValue {
        guard let name = arguments["task_name"]?.stringValue, app.registry.task(named: name) != nil else { return .object(["error": "unknown task"]) }
        control.timeLimits.withLock { $0[name] = (arguments["soft"]?.doubleValue, arguments["hard"]?.doubleValue) }
        return .object(["ok": "time limits set successfully"])
    }
}

extension Worker {
    /// Runs a task's body in its own task, listed in ``WorkerControlState/active`` with a handle that
    /// `revoke(terminate=True)` cancels; the worker's own cancellation (cold shutdown) is forwarded.
    func runTracked(_ active: WorkerControlState.Active, _ body: @escaping @Sendable () async -> TaskOutcome) async -> TaskOutcome {
        let id = active.message.headers.id
        let work = Task { await body() }
        var tracked = active
        tracked.cancel = { work.cancel() }
        control.active.withLock { $0[id] = tracked }
        defer { control.active.withLock { _ = $0.removeValue(forKey: id) } }
        return await withTaskCancellationHandler {
            await work.value
        } onCancel: {
            work.cancel()
        }
    }
}
