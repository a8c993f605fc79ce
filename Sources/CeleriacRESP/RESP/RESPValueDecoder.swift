import NIOCore

/// Decodes RESP2 and RESP3 values from a byte stream, one complete top-level value at a time.
///
/// The decoder re-reads an incomplete value from its first byte when more bytes arrive, and consumes nothing until
/// the value is whole. Limits bound what a broken or hostile server can make it do: ``Limits/maximumDepth``
/// caps nesting (recursion), ``Limits/maximumBulkLength`` caps a string's declared length,
/// ``Limits/maximumElements`` an aggregate's declared count and ``Limits/maximumLineLength`` a line with no CRLF
/// in sight. Every malformed input throws a ``RESPError`` with code ``RESPError/Code/protocolError``.
public struct RESPValueDecoder: NIOSingleStepByteToMessageDecoder {
    /// The decoded value type.
    public typealias InboundOut = RESPValue

    /// Size and nesting limits for decoded values.
    public struct Limits: Sendable, Hashable {
        /// The deepest allowed nesting of aggregates (arrays, maps, sets, pushes, attributes). Default 100.
        public var maximumDepth: Int
        /// The longest allowed bulk string, verbatim string or blob error, in bytes. Default 512 MiB, as Redis.
        public var maximumBulkLength: Int
        /// The most elements (or map pairs) one aggregate may declare. Default 16 Mi.
        public var maximumElements: Int
        /// The longest allowed simple line (simple string, error, number) before its CRLF. Default 64 KiB.
        public var maximumLineLength: Int

        /// Creates limits.
        /// - Parameters:
        ///   - maximumDepth: The deepest allowed nesting of aggregates.
        ///   - maximumBulkLength: The longest allowed bulk string, in bytes.
        ///   - maximumElements: The most elements one aggregate may declare.
        ///   - maximumLineLength: The longest allowed simple line, in bytes.
        public init(
            maximumDepth: Int = 100,
            maximumBulkLength: Int = 512 * 1024 * 1024,
            maximumElements: Int = 16 * 1024 * 1024,
            maximumLineLength: Int = 64 * 1024
        ) {
            self.maximumDepth = maximumDepth
            self.maximumBulkLength = maximumBulkLength
            self.maximumElements = maximumElements
            self.maximumLineLength = maximumLineLength
        }
    }

    /// The limits this decoder enforces.
    public let limits: Limits

    /// Creates a decoder.
    /// - Parameter limits: Size and nesting limits; the defaults suit a Redis server.
    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Decodes one value if the buffer holds a whole one.
    /// - Parameter buffer: The received bytes; the value's bytes are consumed only when it is complete.
    /// - Returns: The value, or `nil` if more bytes are needed.
    /// - Throws: ``RESPError`` with code ``RESPError/Code/protocolError`` on malformed input or exceeded limits.
    public mutating func decode(buffer: inout ByteBuffer) throws -> RESPValue? {
        guard buffer.readableBytes > 0 else { return nil }
        let source = buffer
        let limits = self.limits
        let result = try source.withUnsafeReadableBytes { bytes throws(RESPError) -> (RESPValue, Int)? in
            var parser = RESPParser(bytes: bytes, source: source, limits: limits)
            guard let value = try parser.parseValue(depth: 0) else { return nil }
            return (value, parser.position)
        }
        guard let (value, consumed) = result else { return nil }
        buffer.moveReaderIndex(forwardBy: consumed)
        return value
    }

    /// Decodes one value at the end of the stream; an incomplete value stays in the buffer.
    /// - Parameters:
    ///   - buffer: The received bytes.
    ///   - seenEOF: Whether the peer closed its side.
    /// - Returns: The value, or `nil` if the remaining bytes don't make one.
    /// - Throws: ``RESPError`` on malformed input.
    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> RESPValue? {
        try self.decode(buffer: &buffer)
    }
}

/// Parses one value out of a contiguous byte region; `nil` results mean "incomplete, wait for more bytes".
struct RESPParser {
    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")

    let bytes: UnsafeRawBufferPointer
    let source: ByteBuffer
    let limits: RESPValueDecoder.Limits
    private(set) var position = 0

    init(bytes: UnsafeRawBufferPointer, source: ByteBuffer, limits: RESPValueDecoder.Limits) {
        self.bytes = bytes
        self.source = source
        self.limits = limits
    }

    mutating func parseValue(depth: Int) throws(RESPError) -> RESPValue? {
        guard self.position < self.bytes.count else { return nil }
        let type = self.bytes[self.position]
        self.position += 1
        switch type {
        case UInt8(ascii: "+"):
            return try self.readLine().map { .simpleString(self.text($0)) }
        case UInt8(ascii: "-"):
            return try self.readLine().map { .error(self.text($0)) }
        case UInt8(ascii: ":"):
            guard let line = try self.readLine() else { return nil }
            return .integer(try self.integer(line))
        case UInt8(ascii: "_"):
            guard let line = try self.readLine() else { return nil }
            guard line.isEmpty else { throw .protocolError("RESP3 null carries \(line.count) unexpected bytes") }
            return .null
        case UInt8(ascii: "#"):
            guard let line = try self.readLine() else { return nil }
            switch self.text(line) {
            case "t": return .boolean(true)
            case "f": return .boolean(false)
            default: throw .protocolError("RESP3 boolean is neither t nor f")
            }
        case UInt8(ascii: ","):
            guard let line = try self.readLine() else { return nil }
            guard let value = Double(self.text(line)) else { throw .protocolError("RESP3 double is not a number") }
            return .double(value)
        case UInt8(ascii: "("):
            guard let line = try self.readLine() else { return nil }
            let text = self.text(line)
            let digits = text.hasPrefix("-") || text.hasPrefix("+") ? text.dropFirst() : Substring(text)
            guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                throw .protocolError("RESP3 big number holds a non-digit")
            }
            return .bigNumber(text)
        case UInt8(ascii: "$"):
            guard let length = try self.readLength(allowNull: true, what: "bulk string") else { return nil }
            guard length >= 0 else { return .bulkString(nil) }
            return try self.readBlob(length: length).map { .bulkString($0) }
        case UInt8(ascii: "!"):
            guard let length = try self.readLength(allowNull: false, what: "blob error") else { return nil }
            return try self.readBlob(length: length).map { .error(String(buffer: $0)) }
        case UInt8(ascii: "="):
            guard let length = try self.readLength(allowNull: false, what: "verbatim string") else { return nil }
            guard let blob = try self.readBlob(length: length) else { return nil }
            return try Self.verbatim(blob)
        case UInt8(ascii: "*"):
            guard let count = try self.readCount(allowNull: true, pairs: false) else { return nil }
            guard count >= 0 else { return .array(nil) }
            return try self.readElements(count, depth: depth).map { .array($0) }
        case UInt8(ascii: "~"):
            guard let count = try self.readCount(allowNull: false, pairs: false) else { return nil }
            return try self.readElements(count, depth: depth).map { .set($0) }
        case UInt8(ascii: ">"):
            guard let count = try self.readCount(allowNull: false, pairs: false) else { return nil }
            return try self.readElements(count, depth: depth).map { .push($0) }
        case UInt8(ascii: "%"):
            guard let count = try self.readCount(allowNull: false, pairs: true) else { return nil }
            return try self.readPairs(count, depth: depth).map { .map($0) }
        case UInt8(ascii: "|"):
            guard let count = try self.readCount(allowNull: false, pairs: true) else { return nil }
            guard let attributes = try self.readPairs(count, depth: depth) else { return nil }
            guard let value = try self.parseValue(depth: depth + 1) else { return nil }
            return .attribute(attributes, value: value)
        default:
            throw .protocolError("unknown RESP type byte 0x\(String(type, radix: 16))")
        }
    }

    /// Reads up to the next CRLF; returns the line's byte range without it, or `nil` if no CRLF arrived yet.
    private mutating func readLine() throws(RESPError) -> Range<Int>? {
        let start = self.position
        var index = start
        let end = self.bytes.count
        while index < end {
            let byte = self.bytes[index]
            if byte == Self.cr {
                guard index + 1 < end else { return nil }
                guard self.bytes[index + 1] == Self.lf else { throw .protocolError("CR not followed by LF") }
                self.position = index + 2
                return start..<index
            }
            if byte == Self.lf { throw .protocolError("LF without CR") }
            index += 1
            if index - start > self.limits.maximumLineLength {
                throw .protocolError("line longer than \(self.limits.maximumLineLength) bytes")
            }
        }
        return nil
    }

    private func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: self.bytes[range]), as: UTF8.self)
    }

    private func integer(_ range: Range<Int>) throws(RESPError) -> Int64 {
        var index = range.lowerBound
        var negative = false
        if index < range.upperBound, self.bytes[index] == UInt8(ascii: "-") || self.bytes[index] == UInt8(ascii: "+") {
            negative = self.bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        guard index < range.upperBound else { throw .protocolError("empty integer") }
        var value: Int64 = 0
        while index < range.upperBound {
            let byte = self.bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                throw .protocolError("integer holds a non-digit")
            }
            let digit = Int64(byte - UInt8(ascii: "0"))
            let (shifted, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            guard !o1, !o2 else { throw .protocolError("integer overflows 64 bits") }
            value = next
            index += 1
        }
        return value
    }

    private mutating func readLength(allowNull: Bool, what: String) throws(RESPError) -> Int? {
        guard let line = try self.readLine() else { return nil }
        if line.count == 1, self.bytes[line.lowerBound] == UInt8(ascii: "?") {
            throw .protocolError("streamed \(what)s are not supported")
        }
        let length = try self.integer(line)
        if length == -1, allowNull { return -1 }
        guard length >= 0 else { throw .protocolError("negative \(what) length") }
        guard length <= self.limits.maximumBulkLength else {
            throw .protocolError("\(what) of \(length) bytes exceeds the \(self.limits.maximumBulkLength) byte limit")
        }
        return Int(length)
    }

    private mutating func readCount(allowNull: Bool, pairs: Bool) throws(RESPError) -> Int? {
        guard let line = try self.readLine() else { return nil }
        if line.count == 1, self.bytes[line.lowerBound] == UInt8(ascii: "?") {
            throw .protocolError("streamed aggregates are not supported")
        }
        let count = try self.integer(line)
        if count == -1, allowNull { return -1 }
        guard count >= 0 else { throw .protocolError("negative aggregate count") }
        let elements = pairs ? count.multipliedReportingOverflow(by: 2) : (partialValue: count, overflow: false)
        guard !elements.overflow, elements.partialValue <= Int64(self.limits.maximumElements) else {
            throw .protocolError("aggregate of \(count) elements exceeds the \(self.limits.maximumElements) limit")
        }
        return Int(count)
    }

    private mutating func readBlob(length: Int) throws(RESPError) -> ByteBuffer? {
        guard self.bytes.count - self.position >= length + 2 else { return nil }
        let start = self.position
        guard self.bytes[start + length] == Self.cr, self.bytes[start + length + 1] == Self.lf else {
            throw .protocolError("bulk data not terminated by CRLF")
        }
        self.position = start + length + 2
        guard let slice = self.source.getSlice(at: self.source.readerIndex + start, length: length) else {
            throw .protocolError("bulk data out of bounds")
        }
        return slice
    }

    private static func verbatim(_ blob: ByteBuffer) throws(RESPError) -> RESPValue {
        guard blob.readableBytes >= 4, blob.getInteger(at: blob.readerIndex + 3, as: UInt8.self) == UInt8(ascii: ":"),
            let format = blob.getString(at: blob.readerIndex, length: 3),
            let text = blob.getSlice(at: blob.readerIndex + 4, length: blob.readableBytes - 4)
        else {
            throw .protocolError("verbatim string lacks its format prefix")
        }
        return .verbatimString(format: format, text: text)
    }

    private mutating func readElements(_ count: Int, depth: Int) throws(RESPError) -> [RESPValue]? {
        guard depth < self.limits.maximumDepth else {
            throw .protocolError("nesting deeper than \(self.limits.maximumDepth)")
        }
        var items: [RESPValue] = []
        // Every element takes at least three bytes, so a huge declared count can't reserve more than the input.
        items.reserveCapacity(min(count, (self.bytes.count - self.position) / 3))
        for _ in 0..<count {
            guard let item = try self.parseValue(depth: depth + 1) else { return nil }
            items.append(item)
        }
        return items
    }

    private mutating func readPairs(_ count: Int, depth: Int) throws(RESPError) -> [(key: RESPValue, value: RESPValue)]? {
        guard depth < self.limits.maximumDepth else {
            throw .protocolError("nesting deeper than \(self.limits.maximumDepth)")
        }
        var pairs: [(key: RESPValue, value: RESPValue)] = []
        pairs.reserveCapacity(min(count, (self.bytes.count - self.position) / 6))
        for _ in 0..<count {
            guard let key = try self.parseValue(depth: depth + 1) else { return nil }
            guard let value = try self.parseValue(depth: depth + 1) else { return nil }
            pairs.append((key: key, value: value))
        }
        return pairs
    }
}
