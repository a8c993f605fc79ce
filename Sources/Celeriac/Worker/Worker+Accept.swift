import Synchronization
import Foundation
import Logging

extension Worker {
    /// Decides what to do with a received message: run it, hold it for its ETA or a rate-limit token,
    /// discard it (revoked, expired), or dead-letter it (malformed, unknown task).
    func accept(_ delivery: Delivery, timers: inout DiscardingTaskGroup) {
        let limit = app.configuration.maxMessageSize
        if delivery.envelope.count > limit {
            // Still read its id and name, so the log line, the FAILURE and the dead letter name the task.
            let reason = "message of \(delivery.envelope.count) bytes is over the \(limit) byte limit (celeriac_max_message_size)"
            rejectBadMessage(delivery, reason: reason, identity: MessageIdentity(peeking: delivery.envelope), failure: .limitExceeded(reason))
            return
        }
        let message: TaskMessage
        do {
            message = try TaskMessage(envelope: delivery.envelope, acceptContent: app.configuration.acceptedContentTypes)
        } catch {
            rejectBadMessage(delivery, reason: "\(error)", identity: MessageIdentity(peeking: delivery.envelope), failure: .classifying(error, envelope: delivery.envelope))
            return
        }
        guard let task = app.registry.task(named: message.headers.task) else {
            rejectUnknownTask(delivery, message: message)
            return
        }
        logger.info("Task received", metadata: .delivery(delivery, taskID: message.headers.id, taskName: message.headers.task).merging(["args": "\(message.headers.argsrepr ?? "")"]) { $1 })
        events?.send(.taskReceived(message))
        // Listed as held before the revoked check, so a revocation arriving now finds it either way.
        control.held.withLock { held in
            if let index = held.index(forKey: delivery.tag) { held.values[index] = message }
        }
        if discardIfRevokedOrExpired(delivery, message: message) { return }
        metrics.received(delivery.tag, task: message.headers.task, worker: configuration.hostname)

        if let etaText = message.headers.eta, let eta = CeleryTimestamp.parse(etaText), eta.timeIntervalSinceNow > 0 {
            holdUntilETA(Reserved(delivery: delivery, message: message, task: task), eta: eta, timers: &timers)
            return
        }
        schedule(Reserved(delivery: delivery, message: message, task: task), timers: &timers)
    }

    /// Sends a reserved message to the runners, after a rate-limit token when the task has a limit.
    func schedule(_ item: Reserved, timers: inout DiscardingTaskGroup) {
        if let rate = rateLimit(of: item.task) {
            // The token is booked now, so messages get theirs in the order they came (Celery's FIFO bucket).
            let wait = rateLimiter.reserve(task: item.task.name, rate: rate)
            guard wait > .zero else {
                enqueue(item)
                return
            }
            timers.addTask {
                do {
                    try await Task.sleep(for: wait)
                } catch {
                    self.metrics.forget(item.delivery.tag, worker: self.configuration.hostname)
                    await self.giveBack([item.delivery])
                    return
                }
                self.enqueue(item)
            }
            return
        }
        enqueue(item)
    }

    /// Puts a message on the ready queue, or gives it back when the worker is stopping.
    func enqueue(_ item: Reserved) {
        if !ready.push(item) {
            metrics.forget(item.delivery.tag, worker: configuration.hostname)
            Task { await self.giveBack([item.delivery]) }
        }
    }

    /// The task's rate in tasks per second, or `nil` when unlimited.
    func rateLimit(of task: RegisteredTask) -> Double? {
        let override = control.rateLimits.withLock { $0[task.name] }
        guard let text = override ?? task.options.rateLimit ?? app.configuration.taskDefaultRateLimit else { return nil }
        guard let rate = try? RateLimit(text), !rate.isUnlimited else { return nil }
        return rate.tokensPerSecond
    }

    /// Holds a message until its ETA (Celery's worker-side ETA), outside the prefetch window while fewer than
    /// ``Configuration/etaLimit`` are held.
    private func holdUntilETA(_ item: Reserved, eta: Date, timers: inout DiscardingTaskGroup) {
        let outsideWindow = etaHeld.wrappingAdd(1, ordering: .relaxed).newValue <= configuration.etaLimit
        if outsideWindow {
            window.release(1)
        } else {
            etaHeld.wrappingSubtract(1, ordering: .relaxed)
        }
        logger.debug("holding task until its ETA", metadata: .delivery(item.delivery, taskID: item.message.headers.id, taskName: item.task.name).merging(["eta": "\(item.message.headers.eta ?? "")"]) { $1 })
        let id = item.message.headers.id
        control.scheduled.withLock { $0[id] = (item.message, item.delivery) }
        timers.addTask {
            defer { self.control.scheduled.withLock { _ = $0.removeValue(forKey: id) } }
            // Cut short by a revocation, which the revoked check below then discards at once.
            let cancelled = !(await self.sleepUntilETA(eta.timeIntervalSinceNow, delivery: item.delivery, id: id))
            if outsideWindow {
                self.etaHeld.wrappingSubtract(1, ordering: .relaxed)
                self.window.take(1)
            }
            if cancelled {
                self.metrics.forget(item.delivery.tag, worker: self.configuration.hostname)
                await self.giveBack([item.delivery])
                return
            }
            self.metrics.becameDue(item.delivery.tag)
            if self.discardIfRevokedOrExpired(item.delivery, message: item.message) { return }
            self.enqueueRespectingRate(item)
        }
    }

    /// Like ``schedule(_:timers:)`` for callers outside the consumer loop.
    private func enqueueRespectingRate(_ item: Reserved) {
        if let rate = rateLimit(of: item.task) {
            Task {
                // Unstructured: the ETA timer that calls this must end so shutdown is not held up; giving
                // back on failure keeps the message safe.
                do {
                    try await self.rateLimiter.acquire(task: item.task.name, rate: rate)
                    self.enqueue(item)
                } catch {
                    self.metrics.forget(item.delivery.tag, worker: self.configuration.hostname)
                    await self.giveBack([item.delivery])
                }
            }
            return
        }
        enqueue(item)
    }

    /// Discards a revoked or expired message (REVOKED result, ack). Returns `true` when it was discarded.
    func discardIfRevokedOrExpired(_ delivery: Delivery, message: TaskMessage) -> Bool {
        let id = message.headers.id
        var reason: String?
        if revoked.withLock({ $0.contains(id) }) {
            reason = "revoked"
        } else if let expiresText = message.headers.expires, let expires = CeleryTimestamp.parse(expiresText), expires.timeIntervalSinceNow < 0 {
            reason = "expired"
        }
        guard let reason else { return false }
        logger.info(reason == "revoked" ? "Discarding revoked task" : "Discarding expired task", metadata: .delivery(delivery, taskID: id, taskName: message.headers.task))
        counters.withLock { $0.revoked += 1 }
        metrics.record(task: message.headers.task, status: "revoked")
        metrics.forget(delivery.tag, worker: configuration.hostname)
        events?.send(.taskRevoked(id: id, expired: reason == "expired"))
        Task {
            // Unstructured so the discard completes even when called from a timer being cancelled.
            let meta = ResultMeta.revoked(taskID: id, reason: reason)
            await self.storeResult(meta, message: message, queue: delivery.queue, extendedAllowed: false)
            // A revoked chord header member still counts in the join (Celery's mark_as_revoked).
            await self.chordPartReturn(of: message, state: .revoked, result: meta.result)
            self.finish(delivery)
        }
        return true
    }
}
