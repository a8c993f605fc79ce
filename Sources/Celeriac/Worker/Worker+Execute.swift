import Synchronization
import Foundation
import Logging
import Tracing

extension Worker {
    /// Runs one reserved message to its end: result stored, callbacks sent, message acked; in a consumer span
    /// continuing the trace its headers carry (``TaskTracing``).
    func execute(_ item: Reserved) async {
        await TaskTracing.withProcessSpan(item.message, queue: item.delivery.queue, worker: configuration.hostname) { span in
            await execute(item, span: span)
        }
    }

    private func execute(_ item: Reserved, span: (any Span)?) async {
        let delivery = item.delivery
        let message = item.message
        let task = item.task
        let headers = message.headers
        // Listed as running before the revoked check: a revocation either is seen here (the task is discarded)
        // or sees the run (and leaves its state to it), never neither (Celery's `active_requests`).
        control.executing.withLock { $0[headers.id, default: 0] += 1 }
        defer {
            control.executing.withLock { executing in
                let left = (executing[headers.id] ?? 1) - 1
                executing[headers.id] = left > 0 ? left : nil
            }
        }
        if discardIfRevokedOrExpired(delivery, message: message) {
            TaskTracing.record(span, state: "REVOKED")
            return
        }

        let acksLate = task.options.acksLate ?? app.configuration.taskAcksLate
        if !acksLate { finish(delivery) }
        counters.withLock { $0.active += 1 }
        metrics.started(delivery.tag, task: headers.task, worker: configuration.hostname)
        defer {
            counters.withLock { $0.active -= 1 }
            metrics.ended(worker: configuration.hostname)
        }
        control.totals.withLock { $0[headers.task, default: 0] += 1 }

        var taskLogger = logger
        // One assignment, so handlers that render their metadata (StreamLogHandler) do it once per task.
        var metadata = taskLogger.handler.metadata
        metadata[LogKeys.taskID] = "\(headers.id)"
        metadata[LogKeys.taskName] = "\(headers.task)"
        metadata[LogKeys.queue] = "\(delivery.queue)"
        metadata[LogKeys.messageID] = "\(delivery.tag)"
        taskLogger.handler.metadata = metadata
        taskLogger.debug("Task started")
        events?.send(.taskStarted(id: headers.id))

        let context = TaskContext(
            id: headers.id, name: headers.task, retries: headers.retries, args: message.args, kwargs: message.kwargs,
            headers: headers, queue: delivery.queue, hostname: configuration.hostname, redelivered: delivery.redelivered || headers.redelivered == true,
            logger: taskLogger)
        // Either the caller or the task asking to ignore the result is enough, as in Celery's tracer.
        let ignoreResult = headers.ignoreResult == true || (task.options.ignoreResult ?? app.configuration.taskIgnoreResult)
        if task.options.trackStarted ?? app.configuration.taskTrackStarted, !ignoreResult {
            await storeResult(
                ResultMeta(taskID: headers.id, status: .started, result: .object(["pid": .int(System.processID), "hostname": .string(configuration.hostname)])),
                message: message, queue: delivery.queue)
        }

        let started = ContinuousClock.now
        let limits = control.timeLimits.withLock { $0[headers.task] }
        let soft = headers.softTimeLimit ?? limits?.soft ?? task.options.softTimeLimit ?? app.configuration.taskSoftTimeLimit
        let hard = headers.timeLimit ?? limits?.hard ?? task.options.timeLimit ?? app.configuration.taskTimeLimit
        let run = task.run
        let args = message.args
        let kwargs = message.kwargs
        let active = WorkerControlState.Active(
            message: message, delivery: delivery, timeStart: Date().timeIntervalSince1970, acknowledged: !acksLate, cancel: {})
        var outcome = await runTracked(active) {
            await TimeLimitRunner.run(soft: soft, hard: hard) { try await run(args, kwargs, context) }
        }
        let runtime = ContinuousClock.now - started
        if case .cancelled = outcome {} else { metrics.recordRuntime(task: headers.task, runtime) }

        if case .failure(let error) = outcome, let autoretry = task.options.autoretryFor, autoretry(error), !(error is CeleriacError) {
            let countdown = task.options.autoretryCountdown(retries: headers.retries)
            outcome = .retry(TaskRetry(countdown: countdown, eta: nil, error: TaskError.from(error), maxRetries: nil))
        }

        switch outcome {
        case .success(let value):
            counters.withLock { $0.succeeded += 1; $0.processed += 1 }
            metrics.record(task: headers.task, status: "success")
            TaskTracing.record(span, state: "SUCCESS")
            taskLogger.info("Task succeeded", metadata: ["runtime": "\(runtime)"])
            events?.send(.taskSucceeded(id: headers.id, result: value, runtime: Self.seconds(of: runtime)))
            if !ignoreResult {
                await storeResult(ResultMeta(taskID: headers.id, status: .success, result: value, dateDone: CeleryTimestamp.format(Date())), message: message, queue: delivery.queue)
            }
            await sendCallbacks(of: message, result: value)
        case .retry(let retry):
            TaskTracing.record(span, state: "RETRY", error: retry.error)
            await handleRetry(retry, item: item, logger: taskLogger, ignoreResult: ignoreResult)
        case .failure(let error):
            let taskError = TaskError.from(error)
            TaskTracing.record(span, state: "FAILURE", error: taskError)
            if let celeriacError = error as? CeleriacError, celeriacError.code == .badArguments {
                await deadLetter(delivery, reason: celeriacError.message, taskID: headers.id, taskName: headers.task)
            }
            await recordFailure(taskError, traceback: taskError.traceback(taskName: headers.task), item: item, logger: taskLogger, ignoreResult: ignoreResult)
        case .softTimeLimit(let seconds):
            taskLogger.error("Soft time limit exceeded", metadata: ["limit": "\(seconds)s"])
            let taskError = SoftTimeLimitExceeded(seconds: seconds).taskError
            TaskTracing.record(span, state: "FAILURE", error: taskError)
            await recordFailure(taskError, traceback: taskError.traceback(taskName: headers.task), item: item, logger: taskLogger, ignoreResult: ignoreResult)
        case .hardTimeLimit(let seconds):
            taskLogger.error("Hard time limit exceeded; the task was abandoned", metadata: ["limit": "\(seconds)s"])
            let taskError = TaskError.timeLimitExceeded(seconds: seconds)
            TaskTracing.record(span, state: "FAILURE", error: taskError)
            await recordFailure(taskError, traceback: nil, item: item, logger: taskLogger, ignoreResult: ignoreResult)
        case .cancelled where control.terminated.withLock({ $0.remove(headers.id) != nil }):
            // `revoke(terminate=True)`: the task was cancelled on purpose; it ends REVOKED and is acked.
            taskLogger.warning("Task terminated by revoke")
            counters.withLock { $0.revoked += 1; $0.processed += 1 }
            metrics.record(task: headers.task, status: "revoked")
            TaskTracing.record(span, state: "REVOKED")
            events?.send(.taskRevoked(id: headers.id, terminated: true))
            await storeResult(ResultMeta.revoked(taskID: headers.id, reason: "terminated"), message: message, queue: delivery.queue, extendedAllowed: false)
        case .cancelled:
            // Cold shutdown: an acks-late message goes back to its queue so another worker runs it (nothing
            // acknowledged late is ever lost); an early-acked one is gone, as in Celery.
            taskLogger.warning("Task cancelled by cold shutdown", metadata: ["requeued": "\(acksLate)"])
            if acksLate { await giveBack([delivery]) }
            return
        }
        if acksLate { finish(delivery) }
    }

    /// Stores FAILURE, sends errbacks and counts.
    private func recordFailure(_ error: TaskError, traceback: String?, item: Reserved, logger: Logger, ignoreResult: Bool) async {
        let headers = item.message.headers
        counters.withLock { $0.failed += 1; $0.processed += 1 }
        metrics.record(task: headers.task, status: "failure")
        logger.error("Task failed", metadata: [LogKeys.error: "\(error)"])
        events?.send(.taskFailed(id: headers.id, error: error, traceback: traceback))
        // Celery stores failures even for ignore_result tasks unless store_errors_even_if_ignored is off;
        // its default keeps them out, so we follow ignore_result.
        if !ignoreResult {
            await storeResult(ResultMeta(taskID: headers.id, status: .failure, result: .object(error.json()), traceback: traceback, dateDone: CeleryTimestamp.format(Date())), message: item.message, queue: item.delivery.queue)
        }
        await sendErrbacks(of: item.message, error: error)
    }

    /// Sends the retry message (same id, `retries + 1`) and stores RETRY, or fails past `max_retries`.
    private func handleRetry(_ retry: TaskRetry, item: Reserved, logger: Logger, ignoreResult: Bool) async {
        let message = item.message
        let headers = message.headers
        let maxRetries: Int? = retry.maxRetries ?? item.task.options.maxRetries
        if let maxRetries, headers.retries >= maxRetries {
            let error = retry.error ?? TaskError(
                excType: "MaxRetriesExceededError", excModule: "celery.exceptions",
                excMessage: [.string("Can't retry \(headers.task)[\(headers.id)] args:\(headers.argsrepr ?? "()") kwargs:\(headers.kwargsrepr ?? "{}")")])
            await recordFailure(error, traceback: error.traceback(taskName: headers.task), item: item, logger: logger, ignoreResult: ignoreResult)
            return
        }
        var next = message
        next.headers.retries = headers.retries + 1
        next.headers.parentID = headers.id
        next.headers.redelivered = nil
        let eta = retry.eta ?? Date().addingTimeInterval(retry.countdown ?? item.task.options.defaultRetryDelay)
        next.headers.eta = CeleryTimestamp.format(eta)
        next.properties.deliveryTag = RandomID.uuid4()
        next.properties.redelivered = nil
        next.properties.routingKey = item.delivery.queue
        do {
            try await app.publish(next, queue: item.delivery.queue)
        } catch {
            logger.error("could not publish the retry; the task fails", metadata: [LogKeys.error: "\(error)"])
            let failure = retry.error ?? TaskError.from(error)
            await recordFailure(failure, traceback: failure.traceback(taskName: headers.task), item: item, logger: logger, ignoreResult: ignoreResult)
            return
        }
        counters.withLock { $0.retried += 1 }
        metrics.record(task: headers.task, status: "retry")
        let reason = retry.error ?? TaskError(excType: "Retry", excModule: "celery.exceptions", excMessage: [.string(retry.eta.map { "Retry at \(CeleryTimestamp.format($0))" } ?? "Retry in \(Self.seconds(retry.countdown ?? item.task.options.defaultRetryDelay))s")])
        logger.info("Task retry", metadata: ["retries": "\(next.headers.retries)", "eta": "\(next.headers.eta ?? "")"])
        events?.send(.taskRetried(id: headers.id, error: reason, traceback: reason.traceback(taskName: headers.task)))
        if !ignoreResult {
            await storeResult(ResultMeta(taskID: headers.id, status: .retry, result: .object(reason.json()), traceback: reason.traceback(taskName: headers.task)), message: message, queue: item.delivery.queue)
        }
    }

    /// Seconds as Celery prints them in retry messages: `10` for whole numbers, `0.5` otherwise.
    static func seconds(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    /// Stores a result, with Celery's extended fields when `result_extended` is on. Failures are logged.
    func storeResult(_ meta: ResultMeta, message: TaskMessage, queue: String, extendedAllowed: Bool = true) async {
        guard let backend = app.backend else { return }
        var meta = meta
        meta.parentID = meta.parentID ?? message.headers.parentID
        meta.groupID = meta.groupID ?? message.headers.group
        if extendedAllowed, app.configuration.resultExtended {
            meta.extended = ResultMeta.Extended(
                name: message.headers.task, args: message.args, kwargs: message.kwargs, worker: configuration.hostname,
                retries: message.headers.retries, queue: queue,
                periodicTaskName: message.headers.extra["periodic_task_name"]?.stringValue)
        }
        // Celery's Redis backend retries a store 20 times, a second apart, before giving up: a result backend
        // restarting for a few seconds loses no results.
        let policy = Self.resultStoreRetryPolicy
        var attempt = 0
        while true {
            do {
                try await backend.store(meta)
                return
            } catch {
                guard attempt < policy.maxRetries, !Task.isCancelled else {
                    logger.error("storing the result failed", metadata: [LogKeys.taskID: "\(meta.taskID)", LogKeys.error: "\(error)"])
                    return
                }
                logger.warning("storing the result failed, retrying", metadata: [LogKeys.taskID: "\(meta.taskID)", LogKeys.error: "\(error)"])
                try? await Task.sleep(for: .seconds(policy.interval(attempt: attempt)))
                attempt += 1
            }
        }
    }

    /// How storing a result is retried: Celery's Redis backend `retry_policy` (20 retries, 0 s then 1 s apart).
    static let resultStoreRetryPolicy = PublishRetryPolicy(maxRetries: 20, intervalStart: 0, intervalStep: 1, intervalMax: 1)
}
