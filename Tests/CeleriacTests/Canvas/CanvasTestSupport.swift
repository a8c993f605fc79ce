import Celeriac
import Foundation
import Testing

/// The tasks of Celery's canvas docs and of the captured vectors (`tasks.add`, `tasks.tsum`), plus helpers.
enum CanvasTasks {
    struct Pair: TaskArguments {
        static let parameterNames = ["x", "y"]
        var x: Int
        var y: Int
    }

    struct Numbers: TaskArguments {
        static let parameterNames = ["numbers"]
        var numbers: [Int]
    }

    struct Message: TaskArguments {
        static let parameterNames = ["message"]
        var message: String
    }

    static let add = TaskName<Pair, Int>("tasks.add")
    static let tsum = TaskName<Numbers, Int>("tasks.tsum")
    static let fail = TaskName<Message, Int>("tasks.fail")

    /// Registers add, tsum, fail, and `tests.collect` (records its arguments, returns them as a list).
    static func register(_ registry: TaskRegistry, collect: Probe<[JSONValue]>? = nil) {
        registry.register(add) { args, _ in args.x + args.y }
        registry.register(tsum) { args, _ in args.numbers.reduce(0, +) }
        registry.register(fail) { args, _ in throw TaskError.valueError(args.message) }
        registry.register(name: "tests.boom") { _, _, _ in throw TaskError.valueError("boom") }
        registry.register(name: "tests.collect") { args, _, _ in
            collect?.append(args)
            return .array(args)
        }
    }

    /// A captured vector (`vectors/<name>.json`), or `nil` (with a recorded issue on CI) when missing.
    static func vector(_ name: String) throws -> JSONValue? {
        guard let directory = ProtocolVectors.directory else {
            if ProtocolVectors.isCI { Issue.record("celery-protocol vectors not found") }
            return nil
        }
        let data = try Data(contentsOf: directory.appendingPathComponent("vectors/\(name).json"))
        return try JSONValue.parse(Array(data))
    }

    /// Removes `reply_to` (the producer's own reply queue) from every `options` in a canvas JSON.
    static func withoutReplyTo(_ value: JSONValue) -> JSONValue {
        switch value {
        case .array(let items): return .array(items.map(withoutReplyTo))
        case .object(let object):
            var copy: JSONObject = [:]
            for (key, item) in object {
                if key == "reply_to" { continue }
                copy[key] = withoutReplyTo(item)
            }
            return .object(copy)
        default: return value
        }
    }
}

extension JSONValue {
    /// Python's `json.dumps` text, for byte-exact comparisons.
    var python: String { serialized(.python) }

    subscript(key: String) -> JSONValue? { objectValue?[key] }
}
