import NIOCore

extension RESPValue {
    /// Whether the value is a null of either protocol version (`_`, `$-1`, `*-1`).
    public var isNull: Bool {
        switch self.unwrappingAttributes {
        case .null, .bulkString(nil), .array(nil): return true
        default: return false
        }
    }

    /// The text of a simple, bulk or verbatim string, or a number rendered in decimal; `nil` otherwise.
    public var string: String? {
        switch self.unwrappingAttributes {
        case .simpleString(let s): return s
        case .bulkString(let b?): return String(buffer: b)
        case .verbatimString(_, let text): return String(buffer: text)
        case .integer(let i): return String(i)
        case .bigNumber(let n): return n
        case .double(let d): return String(d)
        default: return nil
        }
    }

    /// The bytes of a bulk or verbatim string, or the UTF-8 bytes of a simple string; `nil` otherwise.
    public var bytes: ByteBuffer? {
        switch self.unwrappingAttributes {
        case .bulkString(let b?): return b
        case .verbatimString(_, let text): return text
        case .simpleString(let s): return ByteBuffer(string: s)
        default: return nil
        }
    }

    /// An integer reply, or a string holding a decimal integer; `nil` otherwise.
    public var int: Int? {
        switch self.unwrappingAttributes {
        case .integer(let i): return Int(exactly: i)
        case .simpleString, .bulkString, .bigNumber: return self.string.flatMap { Int($0) }
        default: return nil
        }
    }

    /// The members of an array, set or push; `nil` for anything else, nulls included.
    public var elements: [RESPValue]? {
        switch self.unwrappingAttributes {
        case .array(let items?): return items
        case .set(let items), .push(let items): return items
        default: return nil
        }
    }

    /// The pairs of a RESP3 map, or of a RESP2 array holding alternating keys and values (as `HGETALL` or
    /// `HELLO` reply over RESP2); `nil` for anything else.
    public var pairs: [(key: RESPValue, value: RESPValue)]? {
        switch self.unwrappingAttributes {
        case .map(let pairs):
            return pairs
        case .array(let items?) where items.count % 2 == 0:
            return stride(from: 0, to: items.count, by: 2).map { (key: items[$0], value: items[$0 + 1]) }
        default:
            return nil
        }
    }

    /// The message of an error reply; `nil` if the value isn't an error.
    public var errorMessage: String? {
        if case .error(let message) = self.unwrappingAttributes { return message }
        return nil
    }

    /// The value without any RESP3 attribute wrapped around it.
    public var unwrappingAttributes: RESPValue {
        var value = self
        while case .attribute(_, let inner) = value { value = inner }
        return value
    }
}
