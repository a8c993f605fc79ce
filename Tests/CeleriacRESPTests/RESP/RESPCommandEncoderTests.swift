import NIOCore
import Testing

@testable import CeleriacRESP

@Suite struct RESPCommandEncoderTests {
    @Test func encodesCommandsAsArraysOfBulkStrings() {
        var encoder = RESPCommandEncoder()
        encoder.encode(RESPCommand("SET", "key", .bytes(ByteBuffer(bytes: [0, 13, 10])), "EX", 60, 1.5))
        #expect(
            String(buffer: encoder.buffer)
                == "*6\r\n$3\r\nSET\r\n$3\r\nkey\r\n$3\r\n\0\r\n\r\n$2\r\nEX\r\n$2\r\n60\r\n$3\r\n1.5\r\n"
        )
        encoder.reset()
        encoder.encode([RESPCommand("PING"), RESPCommand("GET", "é")])
        #expect(String(buffer: encoder.buffer) == "*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$2\r\né\r\n")
    }

    @Test func encodedCommandsDecodeBack() throws {
        var encoder = RESPCommandEncoder()
        encoder.encode(RESPCommand("ZADD", "z", .double(-.infinity), "m", 2.0, 3))
        var buffer = encoder.buffer
        var decoder = RESPValueDecoder()
        let value = try #require(try decoder.decode(buffer: &buffer))
        #expect(value.elements?.compactMap(\.string) == ["ZADD", "z", "-inf", "m", "2", "3"])
    }

    @Test func blockingCommandsAndTheirTimeouts() {
        #expect(RESPCommand("BRPOP", "a", "b", 5).isBlocking)
        #expect(RESPCommand("BRPOP", "a", "b", 5).blockingTimeout == .seconds(5))
        #expect(RESPCommand("BRPOP", "a", 0).blockingTimeout == nil)
        #expect(RESPCommand("blmpop", 0.5, 1, "q", "LEFT").blockingTimeout == .milliseconds(500))
        #expect(RESPCommand("XREAD", "BLOCK", 250, "STREAMS", "s", "$").blockingTimeout == .milliseconds(250))
        #expect(!RESPCommand("XREAD", "STREAMS", "s", "$").isBlocking)
        #expect(!RESPCommand("RPOP", "a").isBlocking)
        #expect(RESPCommand("AUTH", "user", "secret").description == "AUTH")
    }
}
