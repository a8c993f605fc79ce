import NIOCore
import NIOTestUtils
import Testing

@testable import CeleriacRESP

@Suite struct RESPValueDecoderTests {
    private func bulk(_ text: String) -> RESPValue { .bulkString(ByteBuffer(string: text)) }

    @Test func decodesEveryTypeFedWholeDripAndBatched() throws {
        let pairs: [(String, [RESPValue])] = [
            ("+OK\r\n", [.simpleString("OK")]),
            ("-ERR unknown command\r\n", [.error("ERR unknown command")]),
            (":0\r\n:-42\r\n:+7\r\n", [.integer(0), .integer(-42), .integer(7)]),
            (":9223372036854775807\r\n", [.integer(.max)]),
            (":-9223372036854775808\r\n", [.integer(.min)]),
            ("$5\r\nhello\r\n", [bulk("hello")]),
            ("$0\r\n\r\n", [bulk("")]),
            ("$-1\r\n", [.bulkString(nil)]),
            ("$4\r\na\r\nb\r\n", [bulk("a\r\nb")]),
            ("*-1\r\n", [.array(nil)]),
            ("*0\r\n", [.array([])]),
            ("*2\r\n$3\r\nfoo\r\n:1\r\n", [.array([bulk("foo"), .integer(1)])]),
            ("*2\r\n*1\r\n+a\r\n*0\r\n", [.array([.array([.simpleString("a")]), .array([])])]),
            ("_\r\n", [.null]),
            ("#t\r\n#f\r\n", [.boolean(true), .boolean(false)]),
            (",3.25\r\n,-1\r\n,inf\r\n,-inf\r\n", [.double(3.25), .double(-1), .double(.infinity), .double(-.infinity)]),
            (",nan\r\n", [.double(.nan)]),
            ("(3492890328409238509324850943850943825024385\r\n", [.bigNumber("3492890328409238509324850943850943825024385")]),
            ("!21\r\nSYNTAX invalid syntax\r\n", [.error("SYNTAX invalid syntax")]),
            ("=15\r\ntxt:Some string\r\n", [.verbatimString(format: "txt", text: ByteBuffer(string: "Some string"))]),
            ("%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n", [.map([(.simpleString("first"), .integer(1)), (.simpleString("second"), .integer(2))])]),
            ("~2\r\n+a\r\n:1\r\n", [.set([.simpleString("a"), .integer(1)])]),
            (">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n", [.push([bulk("message"), bulk("ch"), bulk("hi")])]),
            (
                "|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*1\r\n:2\r\n",
                [.attribute([(.simpleString("key-popularity"), .map([(bulk("a"), .double(0.19))]))], value: .array([.integer(2)]))]
            ),
        ]
        try ByteToMessageDecoderVerifier.verifyDecoder(stringInputOutputPairs: pairs) { RESPValueDecoder() }
    }

    @Test func consumesNothingUntilAValueIsWhole() throws {
        var decoder = RESPValueDecoder()
        var buffer = ByteBuffer(string: "*2\r\n$3\r\nfoo\r\n$3\r\nba")
        #expect(try decoder.decode(buffer: &buffer) == nil)
        #expect(buffer.readerIndex == 0)
        buffer.writeString("r\r\n+next\r\n")
        #expect(try decoder.decode(buffer: &buffer) == .array([bulk("foo"), bulk("bar")]))
        #expect(try decoder.decode(buffer: &buffer) == .simpleString("next"))
        #expect(try decoder.decode(buffer: &buffer) == nil)
        #expect(buffer.readableBytes == 0)
    }

    @Test(arguments: [
        ("?\r\n", "unknown RESP type"),
        ("+OK\rX", "CR not followed by LF"),
        ("+OK\n", "LF without CR"),
        (":12a\r\n", "non-digit"),
        (":\r\n", "empty integer"),
        (":99999999999999999999\r\n", "overflows"),
        ("$-2\r\n", "negative bulk string length"),
        ("$3\r\nabcd\r\n", "not terminated by CRLF"),
        ("*-5\r\n", "negative aggregate count"),
        ("%-1\r\n", "negative aggregate count"),
        ("_x\r\n", "RESP3 null"),
        ("#x\r\n", "boolean"),
        (",abc\r\n", "double"),
        ("(12x\r\n", "big number"),
        ("=2\r\nab\r\n", "verbatim"),
        ("$?\r\n", "streamed"),
        ("*?\r\n", "streamed"),
        ("!-1\r\n", "negative blob error length"),
    ])
    func malformedInputThrowsAProtocolError(input: String, expected: String) throws {
        var decoder = RESPValueDecoder()
        var buffer = ByteBuffer(string: input)
        let error = try #require(throws: RESPError.self) { try decoder.decode(buffer: &buffer) }
        #expect(error.code == .protocolError)
        #expect(error.message?.contains(expected) == true, "\(error)")
    }

    @Test func enforcesLimits() throws {
        let limits = RESPValueDecoder.Limits(maximumDepth: 3, maximumBulkLength: 10, maximumElements: 4, maximumLineLength: 8)
        let cases = [
            "*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n",  // depth 4
            "$11\r\n",  // declared length over the cap, rejected before the data arrives
            "*5\r\n",  // too many elements
            "%3\r\n",  // 3 pairs = 6 elements
            "+123456789",  // no CRLF after more than 8 bytes
        ]
        for input in cases {
            var decoder = RESPValueDecoder(limits: limits)
            var buffer = ByteBuffer(string: input)
            #expect(throws: RESPError.self, "\(input.debugDescription)") { try decoder.decode(buffer: &buffer) }
        }
        var decoder = RESPValueDecoder(limits: limits)
        var buffer = ByteBuffer(string: "*1\r\n*1\r\n*1\r\n:1\r\n")
        #expect(try decoder.decode(buffer: &buffer) == .array([.array([.array([.integer(1)])])]))
    }

    @Test func defaultDepthCapStopsDeepNestingWithoutRecursingForever() throws {
        var decoder = RESPValueDecoder()
        var buffer = ByteBuffer(string: String(repeating: "*1\r\n", count: 100_000) + ":1\r\n")
        let error = try #require(throws: RESPError.self) { try decoder.decode(buffer: &buffer) }
        #expect(error.message?.contains("nesting") == true)
    }

    @Test func hugeDeclaredCountsDoNotAllocateUpFront() throws {
        var decoder = RESPValueDecoder()
        var buffer = ByteBuffer(string: "*16000000\r\n:1\r\n")
        #expect(try decoder.decode(buffer: &buffer) == nil)
        #expect(buffer.readerIndex == 0)
    }

    @Test func accessorsReadBothProtocolVersions() {
        #expect(RESPValue.simpleString("OK").string == "OK")
        #expect(bulk("12").int == 12)
        #expect(RESPValue.integer(3).int == 3)
        #expect(RESPValue.bulkString(nil).isNull && RESPValue.null.isNull && RESPValue.array(nil).isNull)
        #expect(RESPValue.array([bulk("k"), bulk("v")]).pairs?.first?.value == bulk("v"))
        #expect(RESPValue.map([(bulk("k"), .integer(1))]).pairs?.first?.key == bulk("k"))
        #expect(RESPValue.set([.integer(1)]).elements == [.integer(1)])
        #expect(RESPValue.attribute([], value: .integer(5)).int == 5)
        #expect(RESPValue.error("WRONGTYPE x").errorMessage == "WRONGTYPE x")
        #expect(RESPValue.verbatimString(format: "txt", text: ByteBuffer(string: "t")).string == "t")
    }
}
