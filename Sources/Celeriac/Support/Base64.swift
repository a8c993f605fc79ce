/// Standard base64 (RFC 4648 §4, `+` and `/`), as kombu writes message bodies.
///
/// Works on byte arrays directly, without Foundation's `Data`.
package enum Base64 {
    /// A base64 text could not be decoded.
    package struct DecodingError: Error, Sendable, Hashable, CustomStringConvertible {
        /// The offset of the offending byte in the input.
        package var offset: Int
        /// What is wrong.
        package var reason: String

        /// `"invalid base64 at byte <offset>: <reason>"`.
        package var description: String { "invalid base64 at byte \(offset): \(reason)" }
    }

    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// 0-63 for alphabet bytes, 0xFF for anything else.
    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    /// Encodes bytes as padded base64 text bytes.
    /// - Parameter bytes: the data.
    /// - Returns: the base64 text as ASCII bytes.
    package static func encode(_ bytes: some Collection<UInt8>) -> [UInt8] {
        if let result = bytes.withContiguousStorageIfAvailable({ encode(buffer: $0) }) { return result }
        return Array(bytes).withUnsafeBufferPointer { encode(buffer: $0) }
    }

    /// Encodes bytes as a padded base64 string.
    /// - Parameter bytes: the data.
    /// - Returns: the base64 text.
    package static func encodeToString(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: encode(bytes), as: UTF8.self)
    }

    private static func encode(buffer: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        let count = buffer.count
        let outputCount = (count + 2) / 3 * 4
        return alphabet.withUnsafeBufferPointer { table in
            [UInt8](unsafeUninitializedCapacity: outputCount) { output, initialized in
                var i = 0
                var o = 0
                while i + 3 <= count {
                    let v = UInt32(buffer[i]) << 16 | UInt32(buffer[i + 1]) << 8 | UInt32(buffer[i + 2])
                    output[o] = table[Int(v >> 18)]
                    output[o + 1] = table[Int(v >> 12 & 0x3F)]
                    output[o + 2] = table[Int(v >> 6 & 0x3F)]
                    output[o + 3] = table[Int(v & 0x3F)]
                    i += 3
                    o += 4
                }
                let rest = count - i
                if rest > 0 {
                    let v = UInt32(buffer[i]) << 16 | (rest == 2 ? UInt32(buffer[i + 1]) << 8 : 0)
                    output[o] = table[Int(v >> 18)]
                    output[o + 1] = table[Int(v >> 12 & 0x3F)]
                    output[o + 2] = rest == 2 ? table[Int(v >> 6 & 0x3F)] : UInt8(ascii: "=")
                    output[o + 3] = UInt8(ascii: "=")
                    o += 4
                }
                initialized = o
            }
        }
    }

    /// Decodes base64 text; padding may be missing, but any byte outside the alphabet (whitespace included) is
    /// an error, as is data after padding.
    /// - Parameter text: the base64 text bytes.
    /// - Returns: the decoded data.
    /// - Throws: ``DecodingError`` naming the offset of the first bad byte.
    package static func decode(_ text: some Collection<UInt8>) throws(DecodingError) -> [UInt8] {
        let result: Result<[UInt8], DecodingError>
        if let contiguous = text.withContiguousStorageIfAvailable({ decode(buffer: $0) }) {
            result = contiguous
        } else {
            result = Array(text).withUnsafeBufferPointer { decode(buffer: $0) }
        }
        return try result.get()
    }

    /// Decodes base64 text from a string (see ``decode(_:)``).
    package static func decode(_ text: String) throws(DecodingError) -> [UInt8] {
        var text = text
        return try text.withUTF8 { decode(buffer: $0) }.get()
    }

    private static func decode(buffer: UnsafeBufferPointer<UInt8>) -> Result<[UInt8], DecodingError> {
        // Strip up to two trailing '='.
        var end = buffer.count
        var padding = 0
        while end > 0 && buffer[end - 1] == UInt8(ascii: "=") && padding < 2 {
            end -= 1
            padding += 1
        }
        let remainder = end % 4
        if remainder == 1 {
            return .failure(DecodingError(offset: end - 1, reason: "a lone final character"))
        }
        if padding > 0 && (end + padding) % 4 != 0 {
            return .failure(DecodingError(offset: end, reason: "wrong padding"))
        }
        let outputCount = end / 4 * 3 + (remainder == 0 ? 0 : remainder - 1)
        var failure: DecodingError?
        let output = decodeTable.withUnsafeBufferPointer { table in
            [UInt8](unsafeUninitializedCapacity: outputCount) { output, initialized in
                var i = 0
                var o = 0
                while i + 4 <= end {
                    let a = table[Int(buffer[i])]
                    let b = table[Int(buffer[i + 1])]
                    let c = table[Int(buffer[i + 2])]
                    let d = table[Int(buffer[i + 3])]
                    if (a | b | c | d) & 0xC0 != 0 {
                        for k in 0..<4 where table[Int(buffer[i + k])] == 0xFF {
                            failure = DecodingError(offset: i + k, reason: invalidByte(buffer[i + k]))
                            break
                        }
                        initialized = o
                        return
                    }
                    let v = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                    output[o] = UInt8(truncatingIfNeeded: v >> 16)
                    output[o + 1] = UInt8(truncatingIfNeeded: v >> 8)
                    output[o + 2] = UInt8(truncatingIfNeeded: v)
                    i += 4
                    o += 3
                }
                if remainder > 0 {
                    var v: UInt32 = 0
                    for k in 0..<remainder {
                        let sextet = table[Int(buffer[i + k])]
                        if sextet == 0xFF {
                            failure = DecodingError(offset: i + k, reason: invalidByte(buffer[i + k]))
                            initialized = o
                            return
                        }
                        v |= UInt32(sextet) << (18 - 6 * UInt32(k))
                    }
                    output[o] = UInt8(truncatingIfNeeded: v >> 16)
                    o += 1
                    if remainder == 3 {
                        output[o] = UInt8(truncatingIfNeeded: v >> 8)
                        o += 1
                    }
                }
                initialized = o
            }
        }
        if let failure { return .failure(failure) }
        return .success(output)
    }

    private static func invalidByte(_ byte: UInt8) -> String {
        if byte == UInt8(ascii: "=") { return "padding before the end" }
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))' is not a base64 character" }
        return "byte \(byte) is not a base64 character"
    }
}
