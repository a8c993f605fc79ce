import Synchronization
import Foundation
import Logging

extension Worker {
    /// Handles a message that is not a valid task message: logged, `failure` stored when the id is known,
    /// dead-lettered, removed from the queue.
    func rejectBadMessage(_ delivery: Delivery, reason: String, identity: MessageIdentity?, failure: TaskError) {
        logger.error("Received invalid task message; moved to dead letters", metadata: .delivery(delivery, taskID: identity?.taskID, taskName: identity?.taskName).merging([LogKeys.error: "\(failure.excType): \(reason)"]) { $1 })
        Task {
            // Unstructured so the consumer loop keeps taking messages while this is stored.
            if let id = identity?.taskID {
                await self.storeFailure(taskID: id, error: failure)
            }
            await self.deadLetter(delivery, reason: reason, taskID: identity?.taskID, taskName: identity?.taskName)
            self.finish(delivery)
        }
    }

    /// Handles a message for a task this worker does not know: Celery's `NotRegistered` FAILURE, dead letter.
    func rejectUnknownTask(_ delivery: Delivery, message: TaskMessage) {
        let name = message.headers.task
        logger.error("Received unregistered task of type '\(name)'; moved to dead letters", metadata: .delivery(delivery, taskID: message.headers.id, taskName: name))
        events?.send(.taskFailed(id: message.headers.id, error: TaskError(excType: "NotRegistered", excModule: "celery.exceptions", excMessage: [.string(name)]), traceback: nil))
        metrics.record(task: name, status: "unknown")
        Task {
            // Unstructured so the consumer loop keeps taking messages while this is stored.
            let error = TaskError(excType: "NotRegistered", excModule: "celery.exceptions", excMessage: [.string(name)])
            await self.storeFailure(taskID: message.headers.id, error: error)
            await self.deadLetter(delivery, reason: "NotRegistered: no task named '\(name)' is registered on \(self.configuration.hostname)", taskID: message.headers.id, taskName: name)
            self.finish(delivery)
        }
    }

    /// Stores a FAILURE with no traceback (Celery stores none for these).
    private func storeFailure(taskID: String, error: TaskError) async {
        guard let backend = app.backend else { return }
        do {
            try await backend.store(ResultMeta(taskID: taskID, status: .failure, result: .object(error.json()), dateDone: CeleryTimestamp.format(Date())))
        } catch {
            logger.error("storing the failure failed", metadata: [LogKeys.taskID: "\(taskID)", LogKeys.error: "\(error)"])
        }
    }

    /// Keeps a copy of a message in the broker's dead-letter store, unless dead letters are discarded.
    func deadLetter(_ delivery: Delivery, reason: String, taskID: String?, taskName: String?) async {
        counters.withLock { $0.deadLettered += 1 }
        guard configuration.keepDeadLetters else { return }
        guard let store = app.broker as? any DeadLetterStore else {
            logger.warning("the broker has no dead-letter store; the message is dropped", metadata: .delivery(delivery, taskID: taskID, taskName: taskName))
            return
        }
        let entry = DeadLetter(id: delivery.tag.rawValue, queue: delivery.queue, taskID: taskID, taskName: taskName, reason: reason, envelope: delivery.envelope, date: Date())
        do {
            try await store.deadLetter(entry)
        } catch {
            logger.error("storing the dead letter failed", metadata: .delivery(delivery, taskID: taskID, taskName: taskName).merging([LogKeys.error: "\(error)"]) { $1 })
        }
    }
}
