import NIOCore

/// How deeply tables and arrays may nest before a frame is rejected (a guard against stack exhaustion).
let amqpMaximumNestingDepth = 32

extension ByteBuffer {
    // MARK: Integers and bits

    /// Reads a big-endian integer or throws a protocol error naming `what`.
    mutating func readAMQPInteger<Value: FixedWidthInteger>(_ type: Value.Type = Value.self, _ what: StaticString = "integer")
        throws(AMQPError) -> Value
    {
        guard let value = self.readInteger(endianness: .big, as: Value.self) else {
            throw .protocolError("truncated \(what)")
        }
        return value
    }

    /// Reads one octet of packed bits, least significant first.
    mutating func readAMQPBits(_ count: Int) throws(AMQPError) -> [Bool] {
        let octet: UInt8 = try self.readAMQPInteger(UInt8.self, "bit field")
        return (0..<count).map { octet & (1 << $0) != 0 }
    }

    /// Writes bits packed into one octet, least significant first (at most 8).
    mutating func writeAMQPBits(_ bits: Bool...) {
        var octet: UInt8 = 0
        for (index, bit) in bits.enumerated() where bit { octet |= 1 << index }
        self.writeInteger(octet)
    }

    // MARK: Strings

    /// Reads a short string (u8 length + bytes), decoding invalid UTF-8 leniently.
    mutating func readAMQPShortString() throws(AMQPError) -> String {
        let length: UInt8 = try self.readAMQPInteger(UInt8.self, "short string length")
        guard let bytes = self.readBytes(length: Int(length)) else { throw .protocolError("truncated short string") }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes a short string.
    /// - Throws: ``AMQPError/Code/invalidArgument`` when it is longer than 255 bytes.
    mutating func writeAMQPShortString(_ string: String) throws(AMQPError) {
        let count = string.utf8.count
        guard count <= 255 else {
            throw AMQPError(.invalidArgument, message: "a short string is at most 255 bytes, got \(count): \(string.prefix(40))…")
        }
        self.writeInteger(UInt8(count))
        self.writeString(string)
    }

    /// Reads a long string (u32 length + bytes).
    mutating func readAMQPLongString() throws(AMQPError) -> [UInt8] {
        let length: UInt32 = try self.readAMQPInteger(UInt32.self, "long string length")
        guard length <= self.readableBytes, let bytes = self.readBytes(length: Int(length)) else {
            throw .protocolError("long string of \(length) bytes overruns its frame")
        }
        return bytes
    }

    /// Writes a long string.
    mutating func writeAMQPLongString<Bytes: Collection<UInt8>>(_ bytes: Bytes) {
        self.writeInteger(UInt32(truncatingIfNeeded: bytes.count))
        self.writeBytes(bytes)
    }

    // MARK: Tables

    /// Reads a field table (u32 byte length + fields).
    mutating func readAMQPTable(depth: Int = 0) throws(AMQPError) -> AMQPTable {
        let length: UInt32 = try self.readAMQPInteger(UInt32.self, "table length")
        guard length <= self.readableBytes, var slice = self.readSlice(length: Int(length)) else {
            throw .protocolError("field table of \(length) bytes overruns its frame")
        }
        guard depth < amqpMaximumNestingDepth else { throw .protocolError("field tables nested too deeply") }
        var table = AMQPTable()
        while slice.readableBytes > 0 {
            let key = try slice.readAMQPShortString()
            let value = try slice.readAMQPFieldValue(depth: depth + 1)
            table.fields.append(.init(key: key, value: value))
        }
        return table
    }

    /// Writes a field table.
    mutating func writeAMQPTable(_ table: AMQPTable) throws(AMQPError) {
        let lengthIndex = self.writerIndex
        self.writeInteger(UInt32(0))
        for field in table.fields {
            try self.writeAMQPShortString(field.key)
            try self.writeAMQPFieldValue(field.value)
        }
        self.setInteger(UInt32(self.writerIndex - lengthIndex - 4), at: lengthIndex)
    }

    /// Reads one tagged field value.
    mutating func readAMQPFieldValue(depth: Int) throws(AMQPError) -> AMQPFieldValue {
        let tag: UInt8 = try self.readAMQPInteger(UInt8.self, "field type")
        switch tag {
        case UInt8(ascii: "t"): return .bool(try self.readAMQPInteger(UInt8.self) != 0)
        case UInt8(ascii: "b"): return .int8(try self.readAMQPInteger())
        case UInt8(ascii: "B"): return .uint8(try self.readAMQPInteger())
        case UInt8(ascii: "s"), UInt8(ascii: "U"): return .int16(try self.readAMQPInteger())
        case UInt8(ascii: "u"): return .uint16(try self.readAMQPInteger())
        case UInt8(ascii: "I"): return .int32(try self.readAMQPInteger())
        case UInt8(ascii: "i"): return .uint32(try self.readAMQPInteger())
        case UInt8(ascii: "l"): return .int64(try self.readAMQPInteger())
        case UInt8(ascii: "L"): return .uint64(try self.readAMQPInteger())
        case UInt8(ascii: "f"): return .float(Float(bitPattern: try self.readAMQPInteger()))
        case UInt8(ascii: "d"): return .double(Double(bitPattern: try self.readAMQPInteger()))
        case UInt8(ascii: "D"):
            let scale: UInt8 = try self.readAMQPInteger()
            return .decimal(scale: scale, value: try self.readAMQPInteger())
        case UInt8(ascii: "S"): return .longString(try self.readAMQPLongString())
        case UInt8(ascii: "x"): return .bytes(try self.readAMQPLongString())
        case UInt8(ascii: "T"): return .timestamp(try self.readAMQPInteger())
        case UInt8(ascii: "V"): return .void
        case UInt8(ascii: "F"): return .table(try self.readAMQPTable(depth: depth))
        case UInt8(ascii: "A"):
            let length: UInt32 = try self.readAMQPInteger(UInt32.self, "array length")
            guard length <= self.readableBytes, var slice = self.readSlice(length: Int(length)) else {
                throw .protocolError("field array of \(length) bytes overruns its frame")
            }
            guard depth < amqpMaximumNestingDepth else { throw .protocolError("field arrays nested too deeply") }
            var values: [AMQPFieldValue] = []
            while slice.readableBytes > 0 { values.append(try slice.readAMQPFieldValue(depth: depth + 1)) }
            return .array(values)
        default:
            throw .protocolError("unknown field type 0x\(String(tag, radix: 16))")
        }
    }

    /// Writes one tagged field value.
    mutating func writeAMQPFieldValue(_ value: AMQPFieldValue) throws(AMQPError) {
        self.writeInteger(value.tag)
        switch value {
        case .bool(let v): self.writeInteger(UInt8(v ? 1 : 0))
        case .int8(let v): self.writeInteger(v)
        case .uint8(let v): self.writeInteger(v)
        case .int16(let v): self.writeInteger(v, endianness: .big)
        case .uint16(let v): self.writeInteger(v, endianness: .big)
        case .int32(let v): self.writeInteger(v, endianness: .big)
        case .uint32(let v): self.writeInteger(v, endianness: .big)
        case .int64(let v): self.writeInteger(v, endianness: .big)
        case .uint64(let v): self.writeInteger(v, endianness: .big)
        case .float(let v): self.writeInteger(v.bitPattern, endianness: .big)
        case .double(let v): self.writeInteger(v.bitPattern, endianness: .big)
        case .decimal(let scale, let v):
            self.writeInteger(scale)
            self.writeInteger(v, endianness: .big)
        case .longString(let bytes), .bytes(let bytes): self.writeAMQPLongString(bytes)
        case .timestamp(let v): self.writeInteger(v, endianness: .big)
        case .void: break
        case .table(let table): try self.writeAMQPTable(table)
        case .array(let values):
            let lengthIndex = self.writerIndex
            self.writeInteger(UInt32(0))
            for element in values { try self.writeAMQPFieldValue(element) }
            self.setInteger(UInt32(self.writerIndex - lengthIndex - 4), at: lengthIndex)
        }
    }
}
