/// The arguments of a typed task: a `Codable` value whose properties are the task's parameters.
///
/// Celery passes arguments as positional `args` and keyword `kwargs`. ``parameterNames`` lists the
/// parameters in Python's positional order, so a Python call `add.delay(2, 3)` (args `[2, 3]`) and a call
/// `add.delay(x=2, y=3)` (kwargs) both decode into the same value, and a Swift call sends positional args
/// as Python callers do.
///
/// ```swift
/// struct AddArguments: TaskArguments {
///     static let parameterNames = ["x", "y"]
///     var x: Int
///     var y: Int
/// }
/// ```
public protocol TaskArguments: Codable, Sendable {
    /// The task's parameters in positional order. Properties not listed travel as keyword arguments.
    static var parameterNames: [String] { get }
}

extension TaskArguments {
    /// No positional parameters: every property travels as a keyword argument.
    public static var parameterNames: [String] { [] }
}

/// The arguments of a task that takes none.
public struct NoArguments: TaskArguments, Hashable {
    /// Creates empty arguments.
    public init() {}
}

/// Maps typed arguments to and from Celery's `args` and `kwargs`.
public enum TaskArgumentCoding {
    /// Splits typed arguments into positional `args` (the leading ``TaskArguments/parameterNames`` that are
    /// present) and keyword `kwargs` (everything else).
    /// - Throws: ``CeleriacError`` with code ``CeleriacError/Code/badArguments`` when the value does not
    ///   encode to a JSON object.
    public static func encode<A: TaskArguments>(_ arguments: A) throws -> (args: [JSONValue], kwargs: JSONObject) {
        let value: JSONValue
        do {
            value = try JSONValueEncoder().encode(arguments)
        } catch {
            throw CeleriacError(.badArguments, "cannot encode arguments of type \(A.self)", underlying: error)
        }
        guard var object = value.objectValue else {
            throw CeleriacError(.badArguments, "arguments of type \(A.self) must encode to a JSON object (a struct with properties)")
        }
        var args: [JSONValue] = []
        for name in A.parameterNames {
            guard let item = object[name] else { break }
            args.append(item)
            object[name] = nil
        }
        return (args, object)
    }

    /// Builds typed arguments from Celery's `args` and `kwargs`, with Python's rules: too many positional
    /// arguments or a parameter given twice is an error.
    /// - Throws: ``CeleriacError`` with code ``CeleriacError/Code/badArguments`` naming the problem (Celery
    ///   reports these as `TypeError`).
    public static func decode<A: TaskArguments>(_ type: A.Type, args: [JSONValue], kwargs: JSONObject, taskName: String) throws -> A {
        let names = A.parameterNames
        if args.count > names.count {
            throw CeleriacError(
                .badArguments,
                "\(taskName)() takes \(names.count) positional argument\(names.count == 1 ? "" : "s") but \(args.count) \(args.count == 1 ? "was" : "were") given",
                taskName: taskName)
        }
        var object = JSONObject()
        for (index, value) in args.enumerated() { object[names[index]] = value }
        for (key, value) in kwargs {
            if object[key] != nil {
                throw CeleriacError(.badArguments, "\(taskName)() got multiple values for argument '\(key)'", taskName: taskName)
            }
            object[key] = value
        }
        let decoded: (value: A, unusedKeys: [String])
        do {
            decoded = try JSONValueDecoder().decodeReportingUnusedKeys(A.self, from: object)
        } catch {
            throw CeleriacError(.badArguments, "\(taskName)() arguments do not match: \(error)", taskName: taskName)
        }
        if let unexpected = decoded.unusedKeys.first {
            throw CeleriacError(.badArguments, "\(taskName)() got an unexpected keyword argument '\(unexpected)'", taskName: taskName)
        }
        return decoded.value
    }
}
