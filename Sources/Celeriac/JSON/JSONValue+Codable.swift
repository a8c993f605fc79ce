import Foundation

/// A `Decodable` type could not be decoded from a ``JSONValue``.
///
/// The description names the Swift type, the place in the value (`$.args[0].x`) and the reason, but never
/// quotes the value itself, which may hold task arguments.
public struct JSONValueDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The Swift type that was being decoded, e.g. `"Point"`.
    public var typeName: String
    /// Where decoding failed, as a JSONPath-like text: `"$"`, `"$.user.tags[2]"`.
    public var codingPath: String
    /// What went wrong there, e.g. `"expected Int, found something else"` or `"missing key 'x'"`.
    public var reason: String

    /// Creates an error.
    /// - Parameters:
    ///   - typeName: the Swift type being decoded.
    ///   - codingPath: where decoding failed (`$.a[0]`).
    ///   - reason: what went wrong.
    public init(typeName: String, codingPath: String, reason: String) {
        self.typeName = typeName
        self.codingPath = codingPath
        self.reason = reason
    }

    /// `"cannot decode <type> at <path>: <reason>"`.
    public var description: String { "cannot decode \(typeName) at \(codingPath): \(reason)" }
}

/// `JSONValue` encodes and decodes through any `Encoder`/`Decoder` as the JSON value it is.
///
/// Integers decode as ``JSONValue/int(_:)`` when the decoder gives them as `Int`, other numbers as
/// ``JSONValue/double(_:)``. Objects are encoded key by key in order, but Foundation's `JSONEncoder` and
/// `JSONDecoder` don't keep key order: use ``JSONValue/parse(_:)`` and
/// ``JSONValue/serialized(_:)`` when order matters (Celery's messages).
extension JSONValue: Codable {
    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Decodes any JSON value.
    /// - Parameter decoder: the decoder to read from.
    /// - Throws: `DecodingError.dataCorrupted` when the value is none of null, bool, number, string, array, object.
    public init(from decoder: any Decoder) throws {
        if let container = try? decoder.singleValueContainer() {
            if container.decodeNil() {
                self = .null
                return
            }
            if let bool = try? container.decode(Bool.self) {
                self = .bool(bool)
                return
            }
            if let int = try? container.decode(Int.self) {
                self = .int(int)
                return
            }
            if let double = try? container.decode(Double.self) {
                self = .double(double)
                return
            }
            if let string = try? container.decode(String.self) {
                self = .string(string)
                return
            }
        }
        if var array = try? decoder.unkeyedContainer() {
            var elements: [JSONValue] = []
            if let count = array.count { elements.reserveCapacity(count) }
            while !array.isAtEnd { elements.append(try array.decode(JSONValue.self)) }
            self = .array(elements)
            return
        }
        if let keyed = try? decoder.container(keyedBy: AnyKey.self) {
            var pairs: [(String, JSONValue)] = []
            for key in keyed.allKeys { pairs.append((key.stringValue, try keyed.decode(JSONValue.self, forKey: key))) }
            self = .object(JSONObject(pairs))
            return
        }
        throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a JSON value"))
    }

    /// Encodes the value, keeping object key order.
    /// - Parameter encoder: the encoder to write to.
    /// - Throws: what the encoder throws (Foundation's `JSONEncoder` refuses NaN and infinities by default).
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .bool(let b):
            var container = encoder.singleValueContainer()
            try container.encode(b)
        case .int(let i):
            var container = encoder.singleValueContainer()
            try container.encode(i)
        case .double(let d):
            var container = encoder.singleValueContainer()
            try container.encode(d)
        case .string(let s):
            var container = encoder.singleValueContainer()
            try container.encode(s)
        case .array(let elements):
            var container = encoder.unkeyedContainer()
            for element in elements { try container.encode(element) }
        case .object(let object):
            var container = encoder.container(keyedBy: AnyKey.self)
            for pair in object { try container.encode(pair.value, forKey: AnyKey(stringValue: pair.key)) }
        }
    }
}

extension JSONValue {
    /// Creates a JSON value from any `Encodable` value, through Foundation's `JSONEncoder` with its default
    /// settings.
    ///
    /// Those defaults matter for what Python sees: a `Date` becomes a number of seconds since 2001-01-01 (not
    /// ISO text: format it with ``CeleryTimestamp/format(_:utcOffsetSeconds:)`` yourself if Python expects a
    /// string), `Data` becomes base64 text, and NaN and infinities are refused. Object keys come out **sorted**
    /// (`.sortedKeys`): Foundation's encoder doesn't keep the order of `encode(to:)` calls, and sorting at least
    /// makes the bytes (and Celery's `kwargsrepr`) the same on every run. A `JSONValue` passed in is kept as is.
    /// - Parameter value: the value to encode.
    /// - Throws: `EncodingError` from `JSONEncoder`, or ``JSONParseError`` if its output can't be read back.
    public init<T: Encodable>(encoding value: T) throws {
        if let json = value as? JSONValue {
            self = json
            return
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(value)
        self = try JSONValue.parse(data)
    }

    /// Decodes a `Decodable` type from this value, through Foundation's `JSONDecoder` with its default settings
    /// (see ``init(encoding:)`` for what they imply for dates and data).
    /// - Parameter type: the type to decode.
    /// - Returns: the decoded value.
    /// - Throws: ``JSONValueDecodingError`` naming the type, the coding path (`$.items[2].name`) and the reason.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if let same = self as? T { return same }
        let bytes = serializedBytes(.compact)
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw JSONValueDecodingError(decodingError: error, typeName: String(describing: T.self))
        }
    }
}

extension JSONValueDecodingError {
    /// Turns a `DecodingError` into a readable error.
    init(decodingError: DecodingError, typeName: String) {
        func path(_ keys: [any CodingKey]) -> String {
            var text = "$"
            for key in keys {
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += ".\(key.stringValue)"
                }
            }
            return text
        }
        switch decodingError {
        case .typeMismatch(let expected, let context):
            self.init(typeName: typeName, codingPath: path(context.codingPath), reason: "expected \(expected): \(context.debugDescription)")
        case .valueNotFound(let expected, let context):
            self.init(typeName: typeName, codingPath: path(context.codingPath), reason: "expected \(expected), found null or nothing")
        case .keyNotFound(let key, let context):
            self.init(typeName: typeName, codingPath: path(context.codingPath), reason: "missing key '\(key.stringValue)'")
        case .dataCorrupted(let context):
            self.init(typeName: typeName, codingPath: path(context.codingPath), reason: context.debugDescription)
        @unknown default:
            self.init(typeName: typeName, codingPath: "$", reason: "\(decodingError)")
        }
    }
}
