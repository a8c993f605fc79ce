import Celeriac

/// Reads the Python literals Celery puts in `task-received` events (`args="(2, 3)"`, `kwargs="{'k': None}"`)
/// back into JSON, for retrying a task whose stored result has no `result_extended` arguments.
///
/// Only what JSON can hold is accepted: `None`, `True`, `False`, integers, floats, strings, lists, tuples
/// and dicts with string keys. Anything else, including `saferepr`'s truncation (`...`), is refused, so a
/// retry never runs with arguments that differ from the original's.
public enum PythonLiteral {
    /// Parses one literal.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/badArguments``) when the text is not a JSON-like literal.
    public static func parse(_ text: String) throws -> JSONValue {
        var parser = Parser(scalars: Array(text.unicodeScalars))
        let value = try parser.value()
        parser.skipSpace()
        guard parser.index == parser.scalars.count else { throw parser.failure("unexpected text after the value") }
        return value
    }

    /// Parses an args repr (a tuple or list) into positional arguments.
    public static func arguments(_ text: String) throws -> [JSONValue] {
        guard case .array(let items) = try parse(text) else {
            throw CeleriacError(.badArguments, "args \(text.prefix(80)) is not a tuple or list")
        }
        return items
    }

    /// Parses a kwargs repr (a dict) into keyword arguments.
    public static func keywordArguments(_ text: String) throws -> JSONObject {
        guard case .object(let object) = try parse(text) else {
            throw CeleriacError(.badArguments, "kwargs \(text.prefix(80)) is not a dict")
        }
        return object
    }

    struct Parser {
        let scalars: [Unicode.Scalar]
        var index = 0

        func failure(_ what: String) -> CeleriacError {
            CeleriacError(.badArguments, "cannot read the Python literal at offset \(index): \(what)")
        }

        mutating func skipSpace() {
            while index < scalars.count, scalars[index].properties.isWhitespace { index += 1 }
        }

        mutating func value() throws -> JSONValue {
            skipSpace()
            guard index < scalars.count else { throw failure("the text ends early") }
            switch scalars[index] {
            case "(": return .array(try sequence(close: ")"))
            case "[": return .array(try sequence(close: "]"))
            case "{": return try dictionary()
            case "'", "\"": return .string(try string())
            default: return try word()
            }
        }

        mutating func sequence(close: Unicode.Scalar) throws -> [JSONValue] {
            index += 1
            var items: [JSONValue] = []
            while true {
                skipSpace()
                if index < scalars.count, scalars[index] == close { index += 1; return items }
                items.append(try value())
                skipSpace()
                guard index < scalars.count else { throw failure("missing \(close)") }
                if scalars[index] == "," { index += 1; continue }
                guard scalars[index] == close else { throw failure("expected , or \(close)") }
            }
        }

        mutating func dictionary() throws -> JSONValue {
            index += 1
            var object = JSONObject()
            while true {
                skipSpace()
                if index < scalars.count, scalars[index] == "}" { index += 1; return .object(object) }
                guard case .string(let key) = try value() else { throw failure("a dict key that is not a string") }
                skipSpace()
                guard index < scalars.count, scalars[index] == ":" else { throw failure("expected :") }
                index += 1
                object[key] = try value()
                skipSpace()
                guard index < scalars.count else { throw failure("missing }") }
                if scalars[index] == "," { index += 1; continue }
                guard scalars[index] == "}" else { throw failure("expected , or }") }
            }
        }

        mutating func string() throws -> String {
            let quote = scalars[index]
            index += 1
            var out = String.UnicodeScalarView()
            while index < scalars.count {
                let scalar = scalars[index]
                index += 1
                if scalar == quote { return String(out) }
                guard scalar == "\\" else { out.append(scalar); continue }
                guard index < scalars.count else { break }
                let escape = scalars[index]
                index += 1
                switch escape {
                case "n": out.append("\n")
                case "r": out.append("\r")
                case "t": out.append("\t")
                case "\\", "'", "\"": out.append(escape)
                case "x", "u", "U":
                    let length = escape == "x" ? 2 : escape == "u" ? 4 : 8
                    guard index + length <= scalars.count,
                        let code = UInt32(String(String.UnicodeScalarView(scalars[index..<index + length])), radix: 16),
                        let decoded = Unicode.Scalar(code)
                    else { throw failure("a bad \\\(escape) escape") }
                    out.append(decoded)
                    index += length
                default: throw failure("the escape \\\(escape)")
                }
            }
            throw failure("an unterminated string")
        }

        mutating func word() throws -> JSONValue {
            let start = index
            while index < scalars.count, !",)]}:".unicodeScalars.contains(scalars[index]), !scalars[index].properties.isWhitespace { index += 1 }
            let text = String(String.UnicodeScalarView(scalars[start..<index]))
            switch text {
            case "None": return .null
            case "True": return .bool(true)
            case "False": return .bool(false)
            default:
                if let integer = Int(text) { return .int(integer) }
                if let number = Double(text), number.isFinite, text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return .double(number) }
                throw failure(text.isEmpty ? "an empty value" : "'\(text.prefix(40))' is not a JSON-like literal")
            }
        }
    }
}
