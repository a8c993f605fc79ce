/// Typed reads of message fields, throwing ``CeleriacError/Code/malformedMessage`` with a reason that names the
/// field and the JSON type found (never the value, which may be a task argument).
struct WireFields {
    /// The object read.
    let object: JSONObject
    /// What the object is, for messages: `"header"`, `"property"`, `"embed key"`.
    let kind: String
    /// The known keys, when the object was sorted in one pass by ``init(object:kind:known:)``.
    private let table: WireKeyTable?
    /// For each slot of ``table``, where its key is in ``object``'s pairs.
    private let positions: WireSlotPositions
    /// With a table: the pairs whose keys are not in it, in order.
    let unknown: JSONObject

    /// Reads `object` by key, each read a search of its pairs.
    init(object: JSONObject, kind: String) {
        self.object = object
        self.kind = kind
        table = nil
        positions = WireSlotPositions()
        unknown = [:]
    }

    /// Sorts `object`'s pairs in one pass into the keys of `table` (read by slot afterwards) and the
    /// ``unknown`` rest.
    init(object: JSONObject, kind: String, known table: WireKeyTable) {
        self.object = object
        self.kind = kind
        self.table = table
        var positions = WireSlotPositions()
        var unknown: [(key: String, value: JSONValue)] = []
        for (position, pair) in object.pairs.enumerated() {
            if let slot = table.slot(of: pair.key) {
                positions[slot] = position
            } else {
                unknown.append(pair)
            }
        }
        self.positions = positions
        // The object's keys are distinct, so its unknown pairs are too.
        self.unknown = unknown.isEmpty ? [:] : JSONObject(distinctPairs: unknown)
    }

    /// The value of `key`, or nil when absent.
    subscript(key: String) -> JSONValue? {
        if let table, let slot = table.slot(of: key) {
            guard let position = positions[slot] else { return nil }
            return object.pairs[position].value
        }
        return object[key]
    }

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
        switch self[key] {
        case nil, .null?: return nil
        case .string(let s)?: return s
        case let other?: throw wrongType(key, expected: "a string or null", found: other)
        }
    }

    /// An integer (an integral float is accepted), or nil when absent or null.
    func int(_ key: String) throws(CeleriacError) -> Int? {
        switch self[key] {
        case nil, .null?: return nil
        case .int(let i)?: return i
        case let .double(d)? where d.rounded() == d && abs(d) < 9.0e18: return Int(d)
        case let other?: throw wrongType(key, expected: "an integer or null", found: other)
        }
    }

    /// A boolean, or nil when absent or null.
    func bool(_ key: String) throws(CeleriacError) -> Bool? {
        switch self[key] {
        case nil, .null?: return nil
        case .bool(let b)?: return b
        case let other?: throw wrongType(key, expected: "a boolean or null", found: other)
        }
    }

    /// A list, or nil when absent or null.
    func list(_ key: String) throws(CeleriacError) -> [JSONValue]? {
        switch self[key] {
        case nil, .null?: return nil
        case .array(let a)?: return a
        case let other?: throw wrongType(key, expected: "a list or null", found: other)
        }
    }

    /// An object, or nil when absent or null.
    func object(_ key: String) throws(CeleriacError) -> JSONObject? {
        switch self[key] {
        case nil, .null?: return nil
        case .object(let o)?: return o
        case let other?: throw wrongType(key, expected: "an object or null", found: other)
        }
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
