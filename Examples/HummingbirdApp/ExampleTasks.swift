import Celeriac

/// The example's tasks, under the names Celery's tutorial (and the Django interop project) uses.
enum ExampleTasks {
    /// `add(x, y)`: Python's positional order is the parameter order.
    struct AddArguments: TaskArguments {
        static let parameterNames = ["x", "y"]
        var x: Int
        var y: Int
    }

    /// `sleep(seconds)`; the number is kept as given, so `2` comes back as `2`, as Python's `return seconds`.
    struct SleepArguments: TaskArguments {
        static let parameterNames = ["seconds"]
        var seconds: JSONValue
    }

    /// `fail(message)`.
    struct FailArguments: TaskArguments {
        static let parameterNames = ["message"]
        var message: String
    }

    /// `tasks.add(x, y)` → x + y
    static let add = TaskName<AddArguments, Int>("tasks.add")
    /// `tasks.sleep(seconds)` → seconds, after sleeping that long
    static let sleep = TaskName<SleepArguments, JSONValue>("tasks.sleep")
    /// `tasks.fail(message)` → raises ValueError(message)
    static let fail = TaskName<FailArguments, Int>("tasks.fail")

    /// A registry with the tasks. The app sends them by these handles; `--with-worker` also runs them here.
    static func registry() -> TaskRegistry {
        let registry = TaskRegistry()
        registry.register(add) { args, _ in
            let (sum, overflow) = args.x.addingReportingOverflow(args.y)
            if overflow { throw TaskError(excType: "OverflowError", excMessage: ["int too large"]) }
            return sum
        }
        registry.register(sleep) { args, _ in
            guard let seconds = args.seconds.doubleValue, seconds.isFinite else {
                throw TaskError.typeError("sleep() argument must be a number, not \(args.seconds.pythonRepr())")
            }
            try await Task.sleep(for: .milliseconds(Int64(max(0, min(seconds, 86_400)) * 1000)))
            return args.seconds
        }
        registry.register(fail) { args, _ in throw TaskError.valueError(args.message) }
        return registry
    }
}
