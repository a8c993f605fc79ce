import NIOCore
import Testing

@testable import CeleriacAMQP

@Suite("AMQP field tables")
struct AMQPFieldValueTests {
    static let everyType: AMQPTable = [
        "t": .bool(true), "f": .bool(false), "b": .int8(-5), "B": .uint8(250), "s": .int16(-300), "u": .uint16(65000),
        "I": .int32(-70000), "i": .uint32(4_000_000_000), "l": .int64(-1 << 40), "L": .uint64(134_217_728_000),
        "float": .float(1.5), "d": .double(-2.25), "D": .decimal(scale: 2, value: 12345), "S": "héllo ☃",
        "x": .bytes([0, 1, 0xFF]), "A": [1, "two", nil, [true]], "T": .timestamp(1_795_664_584),
        "F": .table(["nested": .table(["deep": 1])]), "V": .void,
    ]

    @Test func everyTypeRoundTrips() throws {
        var buffer = ByteBuffer()
        try buffer.writeAMQPTable(Self.everyType)
        let bytes = Array(buffer.readableBytesView)
        let decoded = try buffer.readAMQPTable()
        #expect(decoded == Self.everyType)
        #expect(buffer.readableBytes == 0)
        var again = ByteBuffer()
        try again.writeAMQPTable(decoded)
        #expect(Array(again.readableBytesView) == bytes)
    }

    @Test func tagsAreRabbitMQs() {
        let tags = Self.everyType.fields.map { Character(UnicodeScalar($0.value.tag)) }
        #expect(String(tags) == "ttbBsuIilLfdDSxATFV")
    }

    @Test func capitalUIsReadAsSigned16() throws {
        var buffer = ByteBuffer(bytes: [UInt8(ascii: "U"), 0xFF, 0xFE])
        #expect(try buffer.readAMQPFieldValue(depth: 0) == .int16(-2))
    }

    @Test func accessors() {
        #expect(AMQPFieldValue.string("x").stringValue == "x")
        #expect(AMQPFieldValue.uint64(5).intValue == 5)
        #expect(AMQPFieldValue.int32(-1).intValue == -1)
        #expect(AMQPFieldValue(integerLiteral: 1 << 40) == .int64(1 << 40))
        var table: AMQPTable = ["a": 1]
        table["b"] = true
        table["a"] = nil
        #expect(table == ["b": true])
    }

    @Test(arguments: [
        [UInt8(ascii: "S"), 0, 0, 0, 9, 1],  // long string longer than its frame
        [UInt8(ascii: "Q")],  // unknown tag
        [UInt8(ascii: "I"), 0, 0],  // truncated int
        [UInt8(ascii: "A"), 0xFF, 0xFF, 0xFF, 0xFF],  // array overrun
    ])
    func malformedValuesThrow(bytes: [UInt8]) {
        var buffer = ByteBuffer(bytes: bytes)
        #expect(throws: AMQPError.self) { try buffer.readAMQPFieldValue(depth: 0) }
    }

    @Test func deepNestingIsRejected() throws {
        var value = AMQPFieldValue.void
        for _ in 0..<100 { value = .array([value]) }
        var buffer = ByteBuffer()
        try buffer.writeAMQPFieldValue(value)
        let error = #expect(throws: AMQPError.self) { try buffer.readAMQPFieldValue(depth: 0) }
        #expect(error?.code == .protocolError)
    }

    @Test func longShortStringIsRejectedOnEncode() {
        var buffer = ByteBuffer()
        let error = #expect(throws: AMQPError.self) { try buffer.writeAMQPShortString(String(repeating: "k", count: 256)) }
        #expect(error?.code == .invalidArgument)
    }

    @Test func propertiesRoundTripWithFlags() throws {
        let properties = AMQPProperties(
            contentType: "application/json", contentEncoding: "utf-8", headers: ["task": "proj.add"], deliveryMode: 2,
            priority: 0, correlationID: "id", replyTo: "r", expiration: "1000", messageID: "m", timestamp: 7, type: "t",
            userID: "guest", appID: "app", clusterID: ""
        )
        #expect(properties.flags == 0xFFFC)
        #expect(AMQPProperties(contentType: "a", contentEncoding: "b", headers: [:], deliveryMode: 2, priority: 0, correlationID: "c", replyTo: "d").flags == 0xFE00)
        var buffer = ByteBuffer()
        try buffer.writeAMQPProperties(properties)
        #expect(try buffer.readAMQPProperties() == properties)
    }
}
