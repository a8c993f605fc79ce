/// An error from Celeriac itself (not a task's own failure), with an extensible ``Code``.
///
/// The `description` never includes secrets (passwords in URLs, task arguments).
public struct CeleriacError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as an extensible set of codes.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A message is not a valid Celery task message.
        public static let malformedMessage = Code("malformedMessage")
        /// The message's content type is not accepted (pickle, yaml, msgpack...).
        public static let contentTypeRefused = Code("contentTypeRefused")
        /// No task with that name is registered.
        public static let unknownTask = Code("unknownTask")
        /// The arguments do not match the task's parameters.
        public static let badArguments = Code("badArguments")
        /// A task's result could not be decoded into the expected type.
        public static let badResult = Code("badResult")
        /// Stored result metadata is malformed.
        public static let malformedResult = Code("malformedResult")
        /// A setting has a wrong value or type.
        public static let invalidConfiguration = Code("invalidConfiguration")
        /// A URL is malformed or names an unknown scheme.
        public static let invalidURL = Code("invalidURL")
        /// The broker failed.
        public static let brokerFailure = Code("brokerFailure")
        /// The result backend failed.
        public static let backendFailure = Code("backendFailure")
        /// Waiting took longer than allowed.
        public static let timeout = Code("timeout")
        /// The object was closed.
        public static let closed = Code("closed")
        /// A message body is larger than allowed.
        public static let messageTooLarge = Code("messageTooLarge")
    }

    /// What went wrong.
    public var code: Code
    /// A human-readable explanation, without secrets.
    public var message: String
    /// The task id concerned, if any.
    public var taskID: String?
    /// The task name concerned, if any.
    public var taskName: String?
    /// The queue concerned, if any.
    public var queue: String?
    /// The underlying error, if any.
    public var underlying: (any Error)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, taskID: String? = nil, taskName: String? = nil, queue: String? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.taskID = taskID
        self.taskName = taskName
        self.queue = queue
        self.underlying = underlying
    }

    public var description: String {
        var text = "\(code): \(message)"
        if let taskName { text += " (task \(taskName))" }
        if let taskID { text += " (id \(taskID))" }
        if let queue { text += " (queue \(queue))" }
        if let underlying { text += ": \(underlying)" }
        return text
    }
}
