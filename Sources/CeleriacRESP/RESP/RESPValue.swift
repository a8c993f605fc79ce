import NIOCore

/// One decoded RESP2 or RESP3 value, as a Redis server sends it.
///
/// RESP2 servers only send ``simpleString(_:)``, ``error(_:)``, ``integer(_:)``, ``bulkString(_:)`` and
/// ``array(_:)``; a RESP2 null is `.bulkString(nil)` or `.array(nil)`. RESP3 adds ``null``, ``boolean(_:)``,
/// ``double(_:)``, ``bigNumber(_:)``, ``verbatimString(format:text:)``, ``map(_:)``, ``set(_:)``, ``push(_:)``
/// and ``attribute(_:value:)``. A RESP3 blob error (`!`) decodes as ``error(_:)``.
///
/// Use the accessors in `RESPValue+Accessors.swift` (``string``, ``int``, ``elements``) to read values without
/// caring which protocol version produced them.
public indirect enum RESPValue: Sendable {
    /// A simple string (`+OK`).
    case simpleString(String)
    /// An error reply (`-ERR ...` or a RESP3 blob error), holding the whole message, prefix included.
    case error(String)
    /// A signed 64-bit integer (`:42`).
    case integer(Int64)
    /// A bulk string (`$`); `nil` is the RESP2 null bulk string (`$-1`).
    case bulkString(ByteBuffer?)
    /// An array (`*`); `nil` is the RESP2 null array (`*-1`).
    case array([RESPValue]?)
    /// The RESP3 null (`_`).
    case null
    /// A RESP3 boolean (`#t`, `#f`).
    case boolean(Bool)
    /// A RESP3 double (`,3.14`, `,inf`, `,nan`).
    case double(Double)
    /// A RESP3 big number (`(12345...`), kept as its decimal text.
    case bigNumber(String)
    /// A RESP3 verbatim string (`=`): a three-letter format such as `txt` or `mkd`, and the text.
    case verbatimString(format: String, text: ByteBuffer)
    /// A RESP3 map (`%`), in the order the server sent its pairs.
    case map([(key: RESPValue, value: RESPValue)])
    /// A RESP3 set (`~`), in the order the server sent its members.
    case set([RESPValue])
    /// A RESP3 out-of-band push (`>`), such as a pub/sub message.
    case push([RESPValue])
    /// A RESP3 attribute (`|`) and the value it annotates.
    case attribute([(key: RESPValue, value: RESPValue)], value: RESPValue)
}

extension RESPValue: Equatable {
    /// Compares two values structurally; maps and attributes compare their pairs in order.
    public static func == (lhs: RESPValue, rhs: RESPValue) -> Bool {
        switch (lhs, rhs) {
        case (.simpleString(let l), .simpleString(let r)): return l == r
        case (.error(let l), .error(let r)): return l == r
        case (.integer(let l), .integer(let r)): return l == r
        case (.bulkString(let l), .bulkString(let r)): return l == r
        case (.array(let l), .array(let r)): return l == r
        case (.null, .null): return true
        case (.boolean(let l), .boolean(let r)): return l == r
        case (.double(let l), .double(let r)): return l == r || (l.isNaN && r.isNaN)
        case (.bigNumber(let l), .bigNumber(let r)): return l == r
        case (.verbatimString(let lf, let lt), .verbatimString(let rf, let rt)): return lf == rf && lt == rt
        case (.map(let l), .map(let r)): return Self.pairsEqual(l, r)
        case (.set(let l), .set(let r)): return l == r
        case (.push(let l), .push(let r)): return l == r
        case (.attribute(let la, let lv), .attribute(let ra, let rv)): return lv == rv && Self.pairsEqual(la, ra)
        default: return false
        }
    }

    private static func pairsEqual(
        _ lhs: [(key: RESPValue, value: RESPValue)],
        _ rhs: [(key: RESPValue, value: RESPValue)]
    ) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (l, r) in zip(lhs, rhs) where l.key != r.key || l.value != r.value {
            return false
        }
        return true
    }
}

extension RESPValue: ExpressibleByStringLiteral {
    /// Creates a bulk string holding the literal's UTF-8 bytes.
    public init(stringLiteral value: String) {
        self = .bulkString(ByteBuffer(string: value))
    }
}

extension RESPValue: ExpressibleByIntegerLiteral {
    /// Creates an integer value.
    public init(integerLiteral value: Int64) {
        self = .integer(value)
    }
}

extension RESPValue: CustomStringConvertible {
    /// A short, human-readable rendering (bulk strings as quoted text), for logs and test failures.
    public var description: String {
        switch self {
        case .simpleString(let s): return "+\(s)"
        case .error(let s): return "-\(s)"
        case .integer(let i): return ":\(i)"
        case .bulkString(nil): return "(nil)"
        case .bulkString(let b?): return "\"\(String(buffer: b))\""
        case .array(nil): return "(nil array)"
        case .array(let items?): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .null: return "(null)"
        case .boolean(let b): return b ? "#t" : "#f"
        case .double(let d): return ",\(d)"
        case .bigNumber(let n): return "(\(n)"
        case .verbatimString(let format, let text): return "\(format):\"\(String(buffer: text))\""
        case .map(let pairs): return "{" + pairs.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
        case .set(let items): return "~[" + items.map(\.description).joined(separator: ", ") + "]"
        case .push(let items): return ">[" + items.map(\.description).joined(separator: ", ") + "]"
        case .attribute(_, let value): return value.description
        }
    }
}
