import Celeriac

/// `tasks.add(x, y)`'s arguments, in Python's positional order.
struct AddArguments: TaskArguments {
    static let parameterNames = ["x", "y"]
    var x: Int
    var y: Int
}

/// `tasks.sleep(seconds)`'s argument.
struct SleepArguments: TaskArguments {
    static let parameterNames = ["seconds"]
    var seconds: Double
}

/// The application's tasks, under the names a Python Celery worker or client would use.
enum Tasks {
    /// `tasks.add(x, y)` → x + y
    static let add = TaskName<AddArguments, Int>("tasks.add")
    /// `tasks.sleep(seconds)` → seconds, after sleeping that long
    static let sleep = TaskName<SleepArguments, Double>("tasks.sleep")

    /// Registers the tasks' bodies.
    static func register(in registry: TaskRegistry) {
        registry.register(add) { args, _ in
            let (sum, overflow) = args.x.addingReportingOverflow(args.y)
            guard !overflow else { throw TaskError(excType: "OverflowError", excMessage: [.string("\(args.x) + \(args.y) does not fit in 64 bits")]) }
            return sum
        }
        registry.register(sleep) { args, _ in
            try await Task.sleep(for: .seconds(max(0, min(args.seconds, 3600))))
            return args.seconds
        }
    }
}
