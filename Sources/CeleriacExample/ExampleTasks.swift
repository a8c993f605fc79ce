import Celeriac

/// The example application's tasks, under the names Celery's tutorial uses. Tests and benchmarks rely on
/// exactly these.
enum ExampleTasks {
    struct Pair: TaskArguments {
        static let parameterNames = ["x", "y"]
        var x: JSONValue
        var y: JSONValue
    }

    struct Numbers: TaskArguments {
        static let parameterNames = ["numbers"]
        var numbers: [JSONValue]
    }

    struct Value: TaskArguments {
        static let parameterNames = ["value"]
        var value: JSONValue
    }

    struct Seconds: TaskArguments {
        static let parameterNames = ["seconds"]
        /// Kept as given, so the result is the same number Python's `return seconds` gives (`2` stays `2`).
        var seconds: JSONValue
    }

    struct Message: TaskArguments {
        static let parameterNames = ["message"]
        var message: String
    }

    struct Times: TaskArguments {
        static let parameterNames = ["times"]
        var times: Int
    }

    /// `tasks.add(x, y)` → x + y
    static let add = TaskName<Pair, JSONValue>("tasks.add")
    /// `tasks.mul(x, y)` → x * y
    static let mul = TaskName<Pair, JSONValue>("tasks.mul")
    /// `tasks.xsum(numbers)` → their sum
    static let xsum = TaskName<Numbers, JSONValue>("tasks.xsum")
    /// `tasks.echo(value)` → value
    static let echo = TaskName<Value, JSONValue>("tasks.echo")
    /// `tasks.noop()` → None
    static let noop = TaskName<NoArguments, JSONValue>("tasks.noop")
    /// `tasks.sleep(seconds)` → seconds
    static let sleep = TaskName<Seconds, JSONValue>("tasks.sleep")
    /// `tasks.fail(message)` → raises ValueError(message)
    static let fail = TaskName<Message, JSONValue>("tasks.fail")
    /// `tasks.retrying(times)` → retries with countdown 0 until `retries == times`, then returns times
    static let retrying = TaskName<Times, Int>("tasks.retrying")

    /// A registry with every example task.
    static func registry() -> TaskRegistry {
        let registry = TaskRegistry()
        registry.register(add) { args, _ in try Arithmetic.apply(args.x, args.y, ints: { $0.addingReportingOverflow($1) }, doubles: +) }
        registry.register(mul) { args, _ in try Arithmetic.apply(args.x, args.y, ints: { $0.multipliedReportingOverflow(by: $1) }, doubles: *) }
        registry.register(xsum) { args, _ in
            try args.numbers.reduce(JSONValue.int(0)) { try Arithmetic.apply($0, $1, ints: { $0.addingReportingOverflow($1) }, doubles: +) }
        }
        registry.register(echo) { args, _ in args.value }
        registry.register(noop) { _, _ in .null }
        registry.register(sleep) { args, _ in
            guard let seconds = args.seconds.doubleValue else {
                throw TaskError.typeError("sleep() argument must be a number, not \(args.seconds.pythonRepr())")
            }
            try await Task.sleep(for: .milliseconds(Int64(max(0, min(seconds, 1e9)) * 1000)))
            return args.seconds
        }
        registry.register(fail) { args, _ in throw TaskError.valueError(args.message) }
        registry.register(retrying, options: TaskOptions(maxRetries: nil)) { args, context in
            if context.retries >= args.times { return args.times }
            try context.retry(countdown: 0)
        }
        return registry
    }
}

/// Python-like arithmetic over JSON numbers: int op int stays an int, anything else is a float.
enum Arithmetic {
    static func apply(_ a: JSONValue, _ b: JSONValue, ints: (Int, Int) -> (partialValue: Int, overflow: Bool), doubles: (Double, Double) -> Double) throws -> JSONValue {
        if case .int(let x) = a, case .int(let y) = b {
            let (value, overflow) = ints(x, y)
            if !overflow { return .int(value) }
        }
        guard let x = a.doubleValue, let y = b.doubleValue else {
            throw TaskError.typeError("unsupported operand type(s): \(a.pythonRepr()) and \(b.pythonRepr())")
        }
        return .double(doubles(x, y))
    }
}
