import Synchronization

/// The tasks a worker can run, by Celery name.
///
/// ```swift
/// let registry = TaskRegistry()
/// registry.register(add) { args, context in args.x + args.y }
/// ```
public final class TaskRegistry: Sendable {
    private let tasks = Mutex<[String: RegisteredTask]>([:])

    /// Creates an empty registry.
    public init() {}

    /// Registers a typed task. Registering a name again replaces the earlier task, as in Celery.
    /// - Parameters:
    ///   - task: the task's name and types.
    ///   - options: the task's options.
    ///   - body: the task's code; its return value is stored as the result.
    public func register<A, O>(_ task: TaskName<A, O>, options: TaskOptions = TaskOptions(), _ body: @escaping @Sendable (A, TaskContext) async throws -> O) {
        let name = task.name
        register(RegisteredTask(name: name, options: options) { args, kwargs, context in
            let arguments = try TaskArgumentCoding.decode(A.self, args: args, kwargs: kwargs, taskName: name)
            let output = try await body(arguments, context)
            if let value = output as? JSONValue { return value }
            do {
                return try JSONValueEncoder().encode(output)
            } catch {
                throw CeleriacError(.badResult, "cannot encode the result of \(name) as JSON", taskName: name, underlying: error)
            }
        })
    }

    /// Registers a task that takes Celery's raw `args` and `kwargs` and returns JSON.
    public func register(name: String, options: TaskOptions = TaskOptions(), _ body: @escaping @Sendable ([JSONValue], JSONObject, TaskContext) async throws -> JSONValue) {
        register(RegisteredTask(name: name, options: options, run: body))
    }

    /// Registers a prepared task.
    public func register(_ task: RegisteredTask) {
        tasks.withLock { $0[task.name] = task }
    }

    /// The task registered under `name`, or `nil`.
    public func task(named name: String) -> RegisteredTask? {
        tasks.withLock { $0[name] }
    }

    /// The registered names, sorted.
    public var names: [String] {
        tasks.withLock { $0.keys.sorted() }
    }

    /// Changes a task's rate limit at run time (`celery control rate_limit`).
    /// - Returns: `false` when no such task is registered.
    @discardableResult
    public func setRateLimit(_ rate: String?, forTask name: String) -> Bool {
        tasks.withLock { tasks in
            guard tasks[name] != nil else { return false }
            tasks[name]?.options.rateLimit = rate
            return true
        }
    }
}

/// A task as the worker runs it: a name, options and a body over raw JSON arguments.
public struct RegisteredTask: Sendable {
    /// The Celery name.
    public var name: String
    /// The options.
    public var options: TaskOptions
    /// Runs the task with raw arguments.
    public var run: @Sendable ([JSONValue], JSONObject, TaskContext) async throws -> JSONValue

    /// Creates a registered task.
    public init(name: String, options: TaskOptions, run: @escaping @Sendable ([JSONValue], JSONObject, TaskContext) async throws -> JSONValue) {
        self.name = name
        self.options = options
        self.run = run
    }
}
