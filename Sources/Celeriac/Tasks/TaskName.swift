/// A typed handle on a task: its Celery name, the type of its arguments and the type of its result.
///
/// Declare it once and use it both to register the task on a worker and to call it:
/// ```swift
/// let add = TaskName<AddArguments, Int>("tasks.add")
/// let result = try await app.delay(add, AddArguments(x: 2, y: 3))
/// let sum = try await result.get(timeout: .seconds(5))
/// ```
public struct TaskName<Arguments: TaskArguments, Output: Codable & Sendable>: Sendable, Hashable, CustomStringConvertible {
    /// The name Celery knows the task by (`"tasks.add"`).
    public let name: String

    /// Creates a handle for the task named `name`.
    public init(_ name: String) { self.name = name }

    public var description: String { name }
}
