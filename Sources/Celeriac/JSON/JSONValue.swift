/// A JSON value that keeps what Celery's wire format cares about: the order of object keys and the
/// difference between integers and floating-point numbers.
///
/// Celery writes its messages with Python's `json.dumps`; ``JSONValue`` parses them without losing
/// key order and writes them back in the same shape (see ``JSONValue/serialized(_:)``).
public enum JSONValue: Sendable, Hashable {
    /// `null`
    case null
    /// `true` or `false`
    case bool(Bool)
    /// An integer that fits in 64 bits.
    case int(Int)
    /// A floating-point number, or an integer too large for 64 bits.
    case double(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object whose keys keep their order.
    case object(JSONObject)
}

/// A JSON object whose keys keep the order they were inserted or parsed in.
public struct JSONObject: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    /// The key-value pairs in order.
    public private(set) var pairs: [(key: String, value: JSONValue)]

    /// Creates an object from ordered pairs; a later duplicate key replaces an earlier one's value.
    public init(_ pairs: [(String, JSONValue)] = []) {
        if pairs.isEmpty {
            self.pairs = []
            return
        }
        var builder = JSONObjectBuilder(capacity: pairs.count)
        for (key, value) in pairs { builder.append(key, value) }
        self.pairs = builder.pairs
    }

    /// Takes pairs whose keys are known to be distinct (as ``JSONObjectBuilder`` makes them), without a copy.
    init(distinctPairs pairs: [(key: String, value: JSONValue)]) {
        self.pairs = pairs
    }

    /// Creates an object from a literal, keeping the literal's order.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }

    /// The number of keys.
    public var count: Int { pairs.count }
    /// Whether the object has no keys.
    public var isEmpty: Bool { pairs.isEmpty }
    /// The keys in order.
    public var keys: [String] { pairs.map(\.key) }

    /// The value for `key`, or `nil`; setting `nil` removes the key, setting a new key appends it.
    public subscript(key: String) -> JSONValue? {
        get {
            for pair in pairs where pair.key == key { return pair.value }
            return nil
        }
        set {
            if let index = pairs.firstIndex(where: { $0.key == key }) {
                if let newValue { pairs[index].value = newValue } else { pairs.remove(at: index) }
            } else if let newValue {
                pairs.append((key, newValue))
            }
        }
    }

    /// Iterates over the pairs in order.
    public func makeIterator() -> IndexingIterator<[(key: String, value: JSONValue)]> {
        pairs.makeIterator()
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.pairs.count == rhs.pairs.count else { return false }
        for (l, r) in zip(lhs.pairs, rhs.pairs) where l.key != r.key || l.value != r.value { return false }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(pairs.count)
        for pair in pairs {
            hasher.combine(pair.key)
            hasher.combine(pair.value)
        }
    }
}

extension JSONValue {
    /// The string, if this is a string.
    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    /// The integer, if this is an integer (or a double with no fraction).
    public var intValue: Int? {
        switch self {
        case .int(let i): i
        case .double(let d) where d.rounded() == d && abs(d) < 9.0e18: Int(d)
        default: nil
        }
    }
    /// The number as a double, if this is a number.
    public var doubleValue: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }
    /// The boolean, if this is a boolean.
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    /// The array, if this is an array.
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    /// The object, if this is an object.
    public var objectValue: JSONObject? { if case .object(let o) = self { o } else { nil } }
    /// Whether this is `null`.
    public var isNull: Bool { self == .null }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(nilLiteral: ()) { self = .null }
}
