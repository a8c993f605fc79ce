import struct Foundation.Date

/// Where a worker puts messages it cannot process (malformed, unknown task, wrong arguments), so a user
/// can inspect them and requeue them once the cause is fixed.
public protocol DeadLetterStore: Sendable {
    /// Stores a message that could not be processed.
    func deadLetter(_ entry: DeadLetter) async throws

    /// Lists dead letters, oldest first.
    func deadLetters(limit: Int) async throws -> [DeadLetter]

    /// One dead letter by its id, or `nil`.
    func deadLetter(id: String) async throws -> DeadLetter?

    /// Publishes a dead letter's envelope again to its queue (or `queue` when given) and removes it.
    /// - Returns: `false` when there is no dead letter with that id.
    func requeueDeadLetter(id: String, queue: String?) async throws -> Bool

    /// Deletes a dead letter.
    /// - Returns: `false` when there is no dead letter with that id.
    func deleteDeadLetter(id: String) async throws -> Bool
}

/// A message a worker could not process, with why.
public struct DeadLetter: Sendable, Hashable {
    /// The dead letter's own id (the message's delivery tag).
    public var id: String
    /// The queue the message came from.
    public var queue: String
    /// The task id, when the message had one.
    public var taskID: String?
    /// The task name, when the message had one.
    public var taskName: String?
    /// Why it could not be processed.
    public var reason: String
    /// The envelope exactly as it was received.
    public var envelope: [UInt8]
    /// When it was dead-lettered.
    public var date: Date

    /// Creates a dead letter.
    public init(id: String, queue: String, taskID: String?, taskName: String?, reason: String, envelope: [UInt8], date: Date) {
        self.id = id
        self.queue = queue
        self.taskID = taskID
        self.taskName = taskName
        self.reason = reason
        self.envelope = envelope
        self.date = date
    }
}
