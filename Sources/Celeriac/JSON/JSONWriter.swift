extension JSONValue {
    /// How ``JSONValue/serialized(_:)`` writes JSON.
    public enum Style: Sendable, Hashable {
        /// Byte for byte what Python's `json.dumps(obj)` writes with its defaults: separators `", "` and
        /// `": "`, `ensure_ascii=True` (non-ASCII as `\uXXXX`, astral characters as surrogate pairs), floats as
        /// Python's `repr` and `NaN`/`Infinity`/`-Infinity` as Python writes them. Celery's wire format.
        case python
        /// No spaces and UTF-8 left as is (only `"`, `\` and control characters escaped): a faster, smaller form
        /// for Celeriac's own storage.
        case compact
    }

    /// Serializes the value as JSON text.
    /// - Parameter style: ``Style/python`` (the default, Celery's wire format) or ``Style/compact``.
    /// - Returns: the JSON text.
    public func serialized(_ style: Style = .python) -> String {
        String(decoding: serializedBytes(style), as: UTF8.self)
    }

    /// Serializes the value as UTF-8 JSON bytes.
    /// - Parameter style: ``Style/python`` (the default, Celery's wire format) or ``Style/compact``.
    /// - Returns: the UTF-8 bytes of the JSON text.
    public func serializedBytes(_ style: Style = .python) -> [UInt8] {
        var writer = JSONByteWriter(style: style)
        writer.output.reserveCapacity(estimatedSize(budget: 4096) + 16)
        writer.write(self)
        return writer.output
    }

    /// A cheap lower-bound guess of the serialized size, looking at no more than `budget` nodes.
    private func estimatedSize(budget: Int) -> Int {
        var remaining = budget
        return estimate(&remaining)
    }

    private func estimate(_ remaining: inout Int) -> Int {
        guard remaining > 0 else { return 0 }
        remaining -= 1
        switch self {
        case .null, .bool: return 5
        case .int, .double: return 8
        case .string(let s): return s.utf8.count + 2
        case .array(let a):
            var total = 2
            for element in a where remaining > 0 { total += element.estimate(&remaining) + 2 }
            return total
        case .object(let o):
            var total = 2
            for pair in o where remaining > 0 { total += pair.key.utf8.count + 6 + pair.value.estimate(&remaining) }
            return total
        }
    }
}

/// Writes JSON into one growing byte buffer.
struct JSONByteWriter {
    let style: JSONValue.Style
    var output: [UInt8] = []

    init(style: JSONValue.Style) { self.style = style }

    mutating func write(_ value: JSONValue) {
        switch value {
        case .null: output.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])  // null
        case .bool(true): output.append(contentsOf: [0x74, 0x72, 0x75, 0x65])  // true
        case .bool(false): output.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65])  // false
        case .int(let i): PythonNumberFormat.appendInt(i, to: &output)
        case .double(let d): PythonNumberFormat.appendJSONDouble(d, to: &output)
        case .string(let s): writeString(s)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            var first = true
            for element in elements {
                if !first { writeItemSeparator() }
                first = false
                write(element)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            var first = true
            for pair in object {
                if !first { writeItemSeparator() }
                first = false
                writeString(pair.key)
                output.append(UInt8(ascii: ":"))
                if style == .python { output.append(UInt8(ascii: " ")) }
                write(pair.value)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    @inline(__always) mutating func writeItemSeparator() {
        output.append(UInt8(ascii: ","))
        if style == .python { output.append(UInt8(ascii: " ")) }
    }

    mutating func writeString(_ string: String) {
        var string = string
        let ensureASCII = style == .python
        string.withUTF8 { utf8 in
            output.append(UInt8(ascii: "\""))
            var index = 0
            var runStart = 0
            let count = utf8.count
            while index < count {
                let byte = utf8[index]
                let plain = byte >= 0x20 && byte != 0x22 && byte != 0x5C && (byte < 0x7F || !ensureASCII)
                if plain {
                    index += 1
                    continue
                }
                // Flush the plain run before this byte.
                if runStart < index { output.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index])) }
                if byte < 0x80 {
                    appendEscapedASCII(byte)
                    index += 1
                } else {
                    // Decode one UTF-8 sequence (the String is valid UTF-8) and write \uXXXX, or a surrogate pair.
                    let (scalar, length) = Self.decodeScalar(utf8, at: index)
                    if scalar >= 0x10000 {
                        let v = scalar - 0x10000
                        appendUnicodeEscape(UInt16(0xD800 + (v >> 10)))
                        appendUnicodeEscape(UInt16(0xDC00 + (v & 0x3FF)))
                    } else {
                        appendUnicodeEscape(UInt16(scalar))
                    }
                    index += length
                }
                runStart = index
            }
            if runStart < count { output.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<count])) }
            output.append(UInt8(ascii: "\""))
        }
    }

    mutating func appendEscapedASCII(_ byte: UInt8) {
        output.append(UInt8(ascii: "\\"))
        switch byte {
        case 0x22: output.append(0x22)
        case 0x5C: output.append(0x5C)
        case 0x0A: output.append(UInt8(ascii: "n"))
        case 0x0D: output.append(UInt8(ascii: "r"))
        case 0x09: output.append(UInt8(ascii: "t"))
        case 0x08: output.append(UInt8(ascii: "b"))
        case 0x0C: output.append(UInt8(ascii: "f"))
        default:
            output.removeLast()
            appendUnicodeEscape(UInt16(byte))
        }
    }

    /// Appends `\uxxxx` with lowercase hex digits, as Python does.
    mutating func appendUnicodeEscape(_ unit: UInt16) {
        output.append(UInt8(ascii: "\\"))
        output.append(UInt8(ascii: "u"))
        output.append(PythonNumberFormat.hexDigit(UInt8(truncatingIfNeeded: unit >> 12)))
        output.append(PythonNumberFormat.hexDigit(UInt8(truncatingIfNeeded: unit >> 8) & 0xF))
        output.append(PythonNumberFormat.hexDigit(UInt8(truncatingIfNeeded: unit >> 4) & 0xF))
        output.append(PythonNumberFormat.hexDigit(UInt8(truncatingIfNeeded: unit) & 0xF))
    }

    /// Decodes the scalar starting at `index` of valid UTF-8; returns the scalar value and its length in bytes.
    static func decodeScalar(_ utf8: UnsafeBufferPointer<UInt8>, at index: Int) -> (UInt32, Int) {
        let lead = UInt32(utf8[index])
        @inline(__always) func cont(_ offset: Int) -> UInt32 {
            index + offset < utf8.count ? UInt32(utf8[index + offset] & 0x3F) : 0
        }
        if lead < 0xE0 { return (((lead & 0x1F) << 6) | cont(1), 2) }
        if lead < 0xF0 { return (((lead & 0x0F) << 12) | (cont(1) << 6) | cont(2), 3) }
        return (((lead & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3), 4)
    }
}

/// Number formatting as Python writes it.
enum PythonNumberFormat {
    @inline(__always) static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    /// Appends the decimal digits of `value`.
    static func appendInt(_ value: Int, to output: inout [UInt8]) {
        if value >= 0 && value < 10 {
            output.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for 20 digits, no heap
        var count = 0
        withUnsafeMutableBytes(of: &digits) { raw in
            while magnitude > 0 {
                raw[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            }
            if value < 0 { output.append(UInt8(ascii: "-")) }
            var i = count - 1
            while i >= 0 {
                output.append(raw[i])
                i -= 1
            }
        }
    }

    /// Appends a double as Python's `json.dumps` writes it (`repr`, with `NaN`, `Infinity`, `-Infinity`).
    static func appendJSONDouble(_ value: Double, to output: inout [UInt8]) {
        if value.isNaN {
            output.append(contentsOf: "NaN".utf8)
        } else if value.isInfinite {
            output.append(contentsOf: (value < 0 ? "-Infinity" : "Infinity").utf8)
        } else {
            appendFiniteRepr(value, to: &output)
        }
    }

    /// Python's `repr(float)`: `nan`, `inf`, `-inf`, or the shortest round-trip digits.
    static func pythonRepr(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        var output: [UInt8] = []
        output.reserveCapacity(24)
        appendFiniteRepr(value, to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// Appends `repr(value)` for a finite double: the shortest digits that round-trip (Swift's `description`
    /// finds the same digits), laid out by Python's rules: positional when the decimal exponent is in
    /// `-4 ..< 16` (`0.0001`, `1e-05`, `1000000000000000.0`, `1e+16`), always with a `.0` when integral, and
    /// a signed exponent of at least two digits.
    static func appendFiniteRepr(_ value: Double, to output: inout [UInt8]) {
        if value == 0 {
            output.append(contentsOf: (value.sign == .minus ? "-0.0" : "0.0").utf8)
            return
        }
        // Digits and decimal-point position from Swift's shortest representation.
        var digits: [UInt8] = []
        digits.reserveCapacity(20)
        var pointPosition = 0  // digits before the decimal point in the mantissa as written
        var seenPoint = false
        var exponent = 0
        var exponentNegative = false
        var inExponent = false
        for byte in value.magnitude.description.utf8 {
            if inExponent {
                switch byte {
                case UInt8(ascii: "-"): exponentNegative = true
                case UInt8(ascii: "+"): break
                default:
                    exponent = exponent &* 10 &+ Int(byte &- UInt8(ascii: "0"))
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "."): seenPoint = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"): inExponent = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                digits.append(byte)
                if !seenPoint { pointPosition += 1 }
            default: break
            }
        }
        if exponentNegative { exponent = -exponent }
        // decimalPoint: value = 0.d1d2...dn × 10^decimalPoint
        var decimalPoint = pointPosition + exponent
        var leading = 0
        while leading < digits.count - 1 && digits[leading] == UInt8(ascii: "0") { leading += 1 }
        if leading > 0 {
            digits.removeFirst(leading)
            decimalPoint -= leading
        }
        while digits.count > 1 && digits[digits.count - 1] == UInt8(ascii: "0") { digits.removeLast() }

        if value < 0 { output.append(UInt8(ascii: "-")) }
        if decimalPoint > -4 && decimalPoint <= 16 {
            if decimalPoint <= 0 {
                output.append(UInt8(ascii: "0"))
                output.append(UInt8(ascii: "."))
                for _ in 0..<(-decimalPoint) { output.append(UInt8(ascii: "0")) }
                output.append(contentsOf: digits)
            } else if decimalPoint >= digits.count {
                output.append(contentsOf: digits)
                for _ in 0..<(decimalPoint - digits.count) { output.append(UInt8(ascii: "0")) }
                output.append(UInt8(ascii: "."))
                output.append(UInt8(ascii: "0"))
            } else {
                output.append(contentsOf: digits[0..<decimalPoint])
                output.append(UInt8(ascii: "."))
                output.append(contentsOf: digits[decimalPoint...])
            }
        } else {
            output.append(digits[0])
            if digits.count > 1 {
                output.append(UInt8(ascii: "."))
                output.append(contentsOf: digits[1...])
            }
            output.append(UInt8(ascii: "e"))
            let e = decimalPoint - 1
            output.append(e < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            if e.magnitude < 10 { output.append(UInt8(ascii: "0")) }
            appendInt(Int(e.magnitude), to: &output)
        }
    }
}
