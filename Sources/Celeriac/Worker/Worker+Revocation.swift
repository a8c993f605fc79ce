import Logging
import Synchronization

/// What a worker does when it learns that tasks were revoked, by the `revoke` control command or from the
/// broker's shared revoked set, following Celery 5.7's worker-side `_revoke` (`celery/worker/control.py`).
extension Worker {
    /// Marks task ids revoked in this worker only (the broker's store is the durable record).
    public func markRevoked(_ ids: [String]) {
        revoked.withLock { set in for id in ids { set.insert(id) } }
    }

    /// Reads revocations recorded since the last read, adds them to the revoked set and marks the tasks this
    /// worker holds REVOKED at once (``applyRevocation(_:includingUnheld:)``).
    func refreshRevoked() async {
        guard let store = app.broker as? any RevocationStore else { return }
        let ids: [String]
        do {
            let (read, next) = try await store.revokedTaskIDs(after: revokedSequence.load(ordering: .relaxed))
            revokedSequence.store(next, ordering: .relaxed)
            ids = read
        } catch {
            logger.error("reading revoked tasks failed", metadata: [LogKeys.error: "\(error)"])
            return
        }
        guard !ids.isEmpty else { return }
        markRevoked(ids)
        // Only ids held here: another worker may be running one of the others, which reads PENDING while
        // track_started is off; the worker that holds it marks it.
        await applyRevocation(ids, includingUnheld: false)
    }

    /// Celery's `_revoke` for ids already in the revoked set: a task running here is left alone (its run keeps
    /// its own result; `terminate` is the caller's business); a message held for its ETA is discarded at once
    /// (REVOKED stored, chord join counted, message acked, so nothing waits for an ETA that no longer matters);
    /// every other id this worker holds (waiting for a rate-limit token, prefetched) is stored REVOKED now and
    /// discarded when its turn comes. With `includingUnheld`, ids this worker does not hold are stored REVOKED
    /// too, as Celery's control command does. Either way REVOKED is stored only over a state that says no
    /// worker has run the task (PENDING, RECEIVED, RETRY, REJECTED), never over a result or STARTED.
    /// - Returns: the ids skipped because they are running here.
    @discardableResult
    func applyRevocation(_ ids: [String], includingUnheld: Bool) async -> Set<String> {
        var seen = Set<String>()
        let unique = ids.filter { seen.insert($0).inserted }
        let wanted = Set(unique)
        // Read after the ids entered the revoked set: a run that starts later sees the set and discards its
        // task; one that started before is listed here.
        let running = control.executing.withLock { Set($0.keys) }.intersection(wanted)
        let wakers = control.etaWakers.withLock { $0.values.filter { wanted.contains($0.id) } }
        for waker in wakers { waker.wake() }
        let woken = Set(wakers.map(\.id))
        let held = control.held.withLock { held in
            var found: [String: TaskMessage] = [:]
            for case let message? in held.values where wanted.contains(message.headers.id) { found[message.headers.id] = message }
            return found
        }
        guard let backend = app.backend else { return running }
        for id in unique where !running.contains(id) && !woken.contains(id) {
            let message = held[id]
            guard message != nil || includingUnheld else { continue }
            await storeRevokedIfWaiting(id, message: message, backend: backend)
        }
        return running
    }

    /// The states in which Celery's `_revoke` stores REVOKED: nobody has run the task yet.
    private static let revocableStates: Set<TaskState> = [.pending, .received, .retry, .rejected]

    /// Stores REVOKED (`TaskRevokedError('revoked')`) when the stored state is one of ``revocableStates``.
    /// A failure is logged, as Celery does, and the task is still discarded when its message comes up.
    private func storeRevokedIfWaiting(_ id: String, message: TaskMessage?, backend: any ResultBackend) async {
        do {
            let state = try await backend.meta(for: id)?.status ?? .pending
            guard Self.revocableStates.contains(state) else { return }
            var meta = ResultMeta.revoked(taskID: id, reason: "revoked")
            meta.parentID = message?.headers.parentID
            meta.groupID = message?.headers.group
            try await backend.store(meta)
        } catch {
            logger.warning("failed to mark the task as revoked in the result backend", metadata: [LogKeys.taskID: "\(id)", LogKeys.error: "\(error)"])
        }
    }

    /// Sleeps until a held message's ETA, returning early when the message is revoked meanwhile.
    /// - Returns: `false` when the sleep was cut short by cancellation (shutdown), `true` otherwise (the ETA
    ///   came, or the task was revoked: the caller's revoked check discards it).
    func sleepUntilETA(_ wait: Double, delivery: Delivery, id: String) async -> Bool {
        guard wait > 0 else { return true }
        // Its own task, so a revocation can cut the sleep short without cancelling the timer itself.
        let sleeper = Task { try await Task.sleep(for: .seconds(wait)) }
        control.etaWakers.withLock { $0[delivery.tag] = (id, { sleeper.cancel() }) }
        defer { control.etaWakers.withLock { _ = $0.removeValue(forKey: delivery.tag) } }
        // A revocation that came before the waker was listed.
        if revoked.withLock({ $0.contains(id) }) { sleeper.cancel() }
        do {
            try await withTaskCancellationHandler {
                try await sleeper.value
            } onCancel: {
                sleeper.cancel()
            }
        } catch {
            return !Task.isCancelled
        }
        return true
    }
}
