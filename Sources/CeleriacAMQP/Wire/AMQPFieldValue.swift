/// One value in an AMQP field table or field array, with its type tag kept so that tables round-trip byte for byte.
///
/// Tags follow RabbitMQ's errata to the 0-9-1 spec (which py-amqp and every broker in use follow): `s` is a signed
/// 16-bit integer, not a short string. py-amqp writes integers beyond 32 bits with `L` (RabbitMQ uses `l`); both
/// are accepted, `L` is kept as ``uint64(_:)`` holding the same 64 bits.
public enum AMQPFieldValue: Hashable, Sendable {
    /// `t`: a boolean.
    case bool(Bool)
    /// `b`: a signed 8-bit integer.
    case int8(Int8)
    /// `B`: an unsigned 8-bit integer.
    case uint8(UInt8)
    /// `s` (and `U`, read only): a signed 16-bit integer.
    case int16(Int16)
    /// `u`: an unsigned 16-bit integer.
    case uint16(UInt16)
    /// `I`: a signed 32-bit integer.
    case int32(Int32)
    /// `i`: an unsigned 32-bit integer.
    case uint32(UInt32)
    /// `l`: a signed 64-bit integer (RabbitMQ's letter).
    case int64(Int64)
    /// `L`: a 64-bit integer as py-amqp writes it (its bits are a signed value there).
    case uint64(UInt64)
    /// `f`: a 32-bit float.
    case float(Float)
    /// `d`: a 64-bit float.
    case double(Double)
    /// `D`: a decimal, `value / 10^scale`.
    case decimal(scale: UInt8, value: Int32)
    /// `S`: a long string: any bytes, usually UTF-8 text.
    case longString([UInt8])
    /// `x`: a byte array.
    case bytes([UInt8])
    /// `A`: an array of values.
    case array([AMQPFieldValue])
    /// `T`: a timestamp in seconds since 1970 (UTC).
    case timestamp(UInt64)
    /// `F`: a nested table.
    case table(AMQPTable)
    /// `V`: no value (Python's `None`).
    case void

    /// A long string (`S`) holding `string`'s UTF-8 bytes.
    /// - Parameter string: The text.
    /// - Returns: The value.
    public static func string(_ string: String) -> AMQPFieldValue { .longString(Array(string.utf8)) }

    /// The text of a long string or byte array, if it is valid UTF-8.
    public var stringValue: String? {
        switch self {
        case .longString(let bytes), .bytes(let bytes): String(validating: bytes, as: UTF8.self)
        default: nil
        }
    }

    /// The value of any integer type, if it fits an `Int`.
    public var intValue: Int? {
        switch self {
        case .int8(let v): Int(v)
        case .uint8(let v): Int(v)
        case .int16(let v): Int(v)
        case .uint16(let v): Int(v)
        case .int32(let v): Int(v)
        case .uint32(let v): Int(v)
        case .int64(let v): Int(v)
        case .uint64(let v): Int(Int64(bitPattern: v))
        default: nil
        }
    }

    /// The value of a ``bool(_:)``.
    public var boolValue: Bool? {
        if case .bool(let v) = self { return v }
        return nil
    }

    /// The value of a ``table(_:)``.
    public var tableValue: AMQPTable? {
        if case .table(let v) = self { return v }
        return nil
    }

    /// The type tag written on the wire.
    public var tag: UInt8 {
        switch self {
        case .bool: UInt8(ascii: "t")
        case .int8: UInt8(ascii: "b")
        case .uint8: UInt8(ascii: "B")
        case .int16: UInt8(ascii: "s")
        case .uint16: UInt8(ascii: "u")
        case .int32: UInt8(ascii: "I")
        case .uint32: UInt8(ascii: "i")
        case .int64: UInt8(ascii: "l")
        case .uint64: UInt8(ascii: "L")
        case .float: UInt8(ascii: "f")
        case .double: UInt8(ascii: "d")
        case .decimal: UInt8(ascii: "D")
        case .longString: UInt8(ascii: "S")
        case .bytes: UInt8(ascii: "x")
        case .array: UInt8(ascii: "A")
        case .timestamp: UInt8(ascii: "T")
        case .table: UInt8(ascii: "F")
        case .void: UInt8(ascii: "V")
        }
    }
}

extension AMQPFieldValue: ExpressibleByStringLiteral {
    /// A long string (`S`).
    public init(stringLiteral value: String) { self = .string(value) }
}

extension AMQPFieldValue: ExpressibleByIntegerLiteral {
    /// `I` when the value fits 32 bits, else `l`.
    public init(integerLiteral value: Int) {
        self = Int32(exactly: value).map { .int32($0) } ?? .int64(Int64(value))
    }
}

extension AMQPFieldValue: ExpressibleByBooleanLiteral {
    /// A boolean (`t`).
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension AMQPFieldValue: ExpressibleByFloatLiteral {
    /// A double (`d`).
    public init(floatLiteral value: Double) { self = .double(value) }
}

extension AMQPFieldValue: ExpressibleByArrayLiteral {
    /// An array (`A`).
    public init(arrayLiteral elements: AMQPFieldValue...) { self = .array(elements) }
}

extension AMQPFieldValue: ExpressibleByNilLiteral {
    /// Void (`V`).
    public init(nilLiteral: ()) { self = .void }
}
