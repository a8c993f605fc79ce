/// Typed reads of message fields, throwing ``CeleriacError/Code/malformedMessage`` with a reason that names the
/// field and the JSON type found (never the value, which may be a task argument).
struct WireFields {
    /// The object read.
    let object: JSONObject
    /// What the object is, for messages: `"header"`, `"property"`, `"embed key"`.
    let kind: String

    static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        case .array: "a list"
        case .object: "an object"
        }
    }

    static func malformed(_ message: String) -> CeleriacError {
        CeleriacError(.malformedMessage, message)
    }

    func wrongType(_ key: String, expected: String, found: JSONValue) -> CeleriacError {
        Self.malformed("\(kind) '\(key)' must be \(expected), found \(Self.typeName(found))")
    }

    /// A string, or nil when absent or null.
    func string(_ key: String) throws(CeleriacError) -> String? {
        switch object[key] {
        case nil, .null?: return nil
        case .string(let s)?: return s
        case let other?: throw wrongType(key, expected: "a string or null", found: other)
        }
    }

    /// An integer (an integral float is accepted), or nil when absent or null.
    func int(_ key: String) throws(CeleriacError) -> Int? {
        switch object[key] {
        case nil, .null?: return nil
        case .int(let i)?: return i
        case let .double(d)? where d.rounded() == d && abs(d) < 9.0e18: return Int(d)
        case let other?: throw wrongType(key, expected: "an integer or null", found: other)
        }
    }

    /// A boolean, or nil when absent or null.
    func bool(_ key: String) throws(CeleriacError) -> Bool? {
        switch object[key] {
        case nil, .null?: return nil
        case .bool(let b)?: return b
        case let other?: throw wrongType(key, expected: "a boolean or null", found: other)
        }
    }

    /// A list, or nil when absent or null.
    func list(_ key: String) throws(CeleriacError) -> [JSONValue]? {
        switch object[key] {
        case nil, .null?: return nil
        case .array(let a)?: return a
        case let other?: throw wrongType(key, expected: "a list or null", found: other)
        }
    }

    /// An object, or nil when absent or null.
    func object(_ key: String) throws(CeleriacError) -> JSONObject? {
        switch object[key] {
        case nil, .null?: return nil
        case .object(let o)?: return o
        case let other?: throw wrongType(key, expected: "an object or null", found: other)
        }
    }

    /// The pairs whose keys are not in `known`, in order.
    func extra(excluding known: Set<String>) -> JSONObject {
        var pairs: [(String, JSONValue)] = []
        for pair in object where !known.contains(pair.key) { pairs.append((pair.key, pair.value)) }
        return pairs.isEmpty ? JSONObject() : JSONObject(pairs)
    }
}

extension JSONValue {
    /// A number for a time limit or similar: integral values as ``JSONValue/int(_:)`` (as Python wrote `30`),
    /// others as ``JSONValue/double(_:)``.
    static func number(_ value: Double?) -> JSONValue {
        guard let value else { return .null }
        if value.rounded() == value && abs(value) < 9.0e15 { return .int(Int(value)) }
        return .double(value)
    }

    static func nullable(_ value: String?) -> JSONValue {
        guard let value else { return .null }
        return .string(value)
    }

    static func nullable(_ value: Int?) -> JSONValue {
        guard let value else { return .null }
        return .int(value)
    }

    static func nullable(_ value: Bool?) -> JSONValue {
        guard let value else { return .null }
        return .bool(value)
    }
}
