/// A task's state, with Celery's names (`celery.states`).
public struct TaskState: Sendable, Hashable, RawRepresentable, CustomStringConvertible, Codable {
    /// The state's name as stored in result metadata (`"SUCCESS"`).
    public var rawValue: String
    /// Creates a state from its name; unknown names (custom states) are kept as they are.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Unknown to the backend: no result is stored (Celery never stores PENDING).
    public static let pending = TaskState(rawValue: "PENDING")
    /// Received by a worker.
    public static let received = TaskState(rawValue: "RECEIVED")
    /// Started (only stored with `track_started`).
    public static let started = TaskState(rawValue: "STARTED")
    /// Failed and will be retried.
    public static let retry = TaskState(rawValue: "RETRY")
    /// Finished with a return value.
    public static let success = TaskState(rawValue: "SUCCESS")
    /// Failed with an error.
    public static let failure = TaskState(rawValue: "FAILURE")
    /// Revoked or expired before running.
    public static let revoked = TaskState(rawValue: "REVOKED")
    /// Rejected by the worker.
    public static let rejected = TaskState(rawValue: "REJECTED")

    /// Whether the state is final (Celery's `READY_STATES`).
    public var isReady: Bool { self == .success || self == .failure || self == .revoked }
    /// Whether the state is a failure (Celery's `PROPAGATE_STATES`).
    public var isFailure: Bool { self == .failure || self == .revoked }

    public var description: String { rawValue }
}
