import Testing

@testable import Celeriac

@Suite("JSON parser")
struct JSONParserTests {
    @Test func scalars() throws {
        #expect(try JSONValue.parse("null") == .null)
        #expect(try JSONValue.parse(" true ") == .bool(true))
        #expect(try JSONValue.parse("false") == .bool(false))
        #expect(try JSONValue.parse("0") == .int(0))
        #expect(try JSONValue.parse("-0") == .int(0))
        #expect(try JSONValue.parse("-12") == .int(-12))
        #expect(try JSONValue.parse("1.5") == .double(1.5))
        #expect(try JSONValue.parse("1E3") == .double(1000))
        #expect(try JSONValue.parse("2e-3") == .double(0.002))
        #expect(try JSONValue.parse("\"x\"") == .string("x"))
    }

    @Test func integersBeyondSixtyFourBitsBecomeDoubles() throws {
        #expect(try JSONValue.parse("9223372036854775807") == .int(Int.max))
        #expect(try JSONValue.parse("-9223372036854775808") == .int(Int.min))
        #expect(try JSONValue.parse("9223372036854775808") == .double(9_223_372_036_854_775_808.0))
        #expect(try JSONValue.parse("18446744073709551616") == .double(18_446_744_073_709_551_616.0))
        #expect(try JSONValue.parse("-99999999999999999999") == .double(-1e20))
    }

    @Test func pythonNonFiniteTokens() throws {
        guard case .double(let nan) = try JSONValue.parse("NaN") else {
            Issue.record("NaN not a double")
            return
        }
        #expect(nan.isNaN)
        #expect(try JSONValue.parse("Infinity") == .double(.infinity))
        #expect(try JSONValue.parse("[-Infinity]") == .array([.double(-.infinity)]))
        #expect(try JSONValue.parse("1e400") == .double(.infinity))
    }

    @Test func objectsKeepOrderAndLastDuplicateWins() throws {
        let value = try JSONValue.parse(#"{"b": 1, "a": [true, null], "c": {}, "b": 3}"#)
        guard case .object(let object) = value else {
            Issue.record("not an object")
            return
        }
        #expect(object.keys == ["b", "a", "c"])
        #expect(object["b"] == .int(3))
        #expect(object["a"] == .array([.bool(true), .null]))
        #expect(object["c"] == .object([:]))
    }

    @Test func stringEscapes() throws {
        #expect(try JSONValue.parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{8}\u{C}\n\r\t"))
        #expect(try JSONValue.parse(#""\u00e9\u00E9""#) == .string("éé"))
        #expect(try JSONValue.parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try JSONValue.parse(#""\u0000""#) == .string("\u{0}"))
        // Lone surrogates become U+FFFD, a high surrogate followed by a non-surrogate keeps the second escape.
        #expect(try JSONValue.parse(#""\ud800x""#) == .string("\u{FFFD}x"))
        #expect(try JSONValue.parse(#""\udc00""#) == .string("\u{FFFD}"))
        #expect(try JSONValue.parse(#""\ud800\u0041""#) == .string("\u{FFFD}A"))
        #expect(try JSONValue.parse("\"é😀\"") == .string("é😀"))
    }

    @Test func parsesFromByteCollections() throws {
        let bytes: [UInt8] = Array(#"{"k": [1, 2.5, "v"]}"#.utf8)
        let expected: JSONValue = .object(["k": [1, 2.5, "v"]])
        #expect(try JSONValue.parse(bytes) == expected)
        #expect(try JSONValue.parse(bytes[...]) == expected)
        // A non-contiguous collection takes the copying path.
        #expect(try JSONValue.parse(bytes.lazy.map { $0 }) == expected)
    }

    @Test(arguments: [
        ("", 0, "unexpected end of input"),
        ("[1,]", 3, "unexpected ']'"),
        ("{\"a\" 1}", 5, "expected ':'"),
        ("[1 2]", 3, "expected ',' or ']'"),
        ("01", 0, "leading zero"),
        ("1.", 2, "after '.'"),
        ("1e", 2, "exponent"),
        ("-", 1, "expected a digit"),
        ("\"abc", 0, "unterminated string"),
        ("\"a\nb\"", 2, "control character"),
        ("\"\\x\"", 1, "invalid escape"),
        ("\"\\u12G4\"", 1, "hex digit"),
        ("tru", 0, "expected 'true'"),
        ("nul", 0, "expected 'null'"),
        ("{\"a\": 1} x", 9, "after the JSON value"),
        ("{1: 2}", 1, "string key"),
        ("[", 1, "unexpected end of input"),
        ("'x'", 0, "unexpected"),
    ])
    func malformedInputReportsOffsetAndReason(text: String, offset: Int, reason: String) {
        do throws(JSONParseError) {
            let value = try JSONValue.parse(text)
            Issue.record("parsed \(text) as \(value)")
        } catch {
            #expect(error.offset == offset, "\(text): \(error)")
            #expect(error.reason.contains(reason), "\(text): \(error)")
            #expect(error.description.hasPrefix("invalid JSON at byte \(offset): "))
        }
    }

    @Test func invalidUTF8IsRefused() {
        let bytes: [UInt8] = [0x22, 0x61, 0xFF, 0x22]
        #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes) }
        let truncated: [UInt8] = [0x22, 0xC3, 0x22]
        #expect(throws: JSONParseError.self) { try JSONValue.parse(truncated) }
    }

    @Test func nestingIsLimited() throws {
        let ok = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(throws: Never.self) { try JSONValue.parse(ok) }
        let deep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(deep) }
        // Far deeper input fails early instead of overflowing the stack.
        let veryDeep = String(repeating: "{\"a\":", count: 200_000)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(veryDeep) }
    }

    @Test func randomMutationsNeverCrash() throws {
        let seed = Array(
            #"{"body": "W1syLCAzXSwge30sIG51bGxd", "headers": {"task": "t\u00e9", "n": [1, -2.5e3, true, null, {"x": "\ud83d\ude00"}]}, "f": NaN}"#
                .utf8)
        var random = SplitMix64(seed: 0xC0FFEE)
        var parsed = 0
        for _ in 0..<20_000 {
            var bytes = seed
            for _ in 0..<(1 + Int(random.next() % 4)) {
                let position = Int(random.next() % UInt64(bytes.count + 1))
                switch random.next() % 3 {
                case 0 where position < bytes.count: bytes[position] = UInt8(truncatingIfNeeded: random.next())
                case 1 where position < bytes.count: bytes.remove(at: position)
                default: bytes.insert(Self.interesting[Int(random.next() % UInt64(Self.interesting.count))], at: position)
                }
            }
            if let value = try? JSONValue.parse(bytes) {
                parsed += 1
                // Whatever parses must survive a write and a re-read (NaN aside, which is never equal).
                let again = try JSONValue.parse(value.serializedBytes(.python))
                let compact = try JSONValue.parse(value.serializedBytes(.compact))
                if !value.serialized().contains("NaN") {
                    #expect(again == value)
                    #expect(compact == value)
                }
            }
            _ = try? TaskMessage(envelope: bytes)
        }
        #expect(parsed > 0)
    }

    static let interesting: [UInt8] = Array("{}[]\",:\\u0123456789eE.-+ntfNI \u{7F}".utf8) + [0x00, 0x80, 0xC3, 0xFF]
}

/// A small deterministic random generator for fuzz loops.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
