import Logging

/// The logging metadata keys Celeriac uses, in dot notation.
public enum LogKeys {
    /// The task id.
    public static let taskID = "celery.task.id"
    /// The task name.
    public static let taskName = "celery.task.name"
    /// The queue.
    public static let queue = "celery.queue"
    /// The broker's delivery tag of a message.
    public static let messageID = "celery.message.id"
    /// The worker's node name.
    public static let worker = "celery.worker"
    /// An error.
    public static let error = "error"
}

extension Logger.Metadata {
    /// Metadata naming a delivery and, when known, its task.
    static func delivery(_ delivery: Delivery, taskID: String? = nil, taskName: String? = nil) -> Logger.Metadata {
        var metadata: Logger.Metadata = [LogKeys.messageID: "\(delivery.tag)", LogKeys.queue: "\(delivery.queue)"]
        if let taskID { metadata[LogKeys.taskID] = "\(taskID)" }
        if let taskName { metadata[LogKeys.taskName] = "\(taskName)" }
        return metadata
    }
}
