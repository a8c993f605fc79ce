import NIOCore
import Testing

@testable import CeleriacAMQP

@Suite("AMQP methods")
struct AMQPMethodTests {
    static let arguments: AMQPTable = ["x-queue-type": "quorum", "x-message-ttl": .uint64(134_217_728_000), "x-expires": 60_000]

    static let all: [AMQPMethod] = [
        .connection(AMQPConnectionStateMachineTests.start),
        .connection(.startOk(clientProperties: ["product": "celeriac"], mechanism: "PLAIN", response: Array("\0u\0p".utf8), locale: "en_US")),
        .connection(.secure(challenge: [1, 2])), .connection(.secureOk(response: [3])),
        .connection(.tune(channelMax: 2047, frameMax: 131_072, heartbeat: 60)), .connection(.tuneOk(channelMax: 0, frameMax: 4096, heartbeat: 0)),
        .connection(.open(virtualHost: "/")), .connection(.openOk),
        .connection(.close(replyCode: 320, replyText: "CONNECTION_FORCED", classID: 0, methodID: 0)), .connection(.closeOk),
        .connection(.blocked(reason: "low on memory")), .connection(.unblocked),
        .channel(.open), .channel(.openOk), .channel(.flow(active: false)), .channel(.flowOk(active: true)),
        .channel(.close(replyCode: 404, replyText: "NOT_FOUND", classID: 50, methodID: 10)), .channel(.closeOk),
        .exchange(.declare(exchange: "celery", type: "direct", passive: false, durable: true, autoDelete: false, internal: true, noWait: false, arguments: arguments)),
        .exchange(.declareOk), .exchange(.delete(exchange: "x", ifUnused: true, noWait: false)), .exchange(.deleteOk),
        .exchange(.bind(destination: "d", source: "s", routingKey: "#", noWait: false, arguments: [:])), .exchange(.bindOk),
        .exchange(.unbind(destination: "d", source: "s", routingKey: "#", noWait: true, arguments: [:])), .exchange(.unbindOk),
        .queue(.declare(queue: "celery", passive: false, durable: true, exclusive: false, autoDelete: false, noWait: false, arguments: arguments)),
        .queue(.declareOk(queue: "celery", messageCount: 3, consumerCount: 1)),
        .queue(.bind(queue: "q", exchange: "x", routingKey: "rk", noWait: false, arguments: [:])), .queue(.bindOk),
        .queue(.purge(queue: "q", noWait: false)), .queue(.purgeOk(messageCount: 9)),
        .queue(.delete(queue: "q", ifUnused: false, ifEmpty: true, noWait: false)), .queue(.deleteOk(messageCount: 2)),
        .queue(.unbind(queue: "q", exchange: "x", routingKey: "rk", arguments: [:])), .queue(.unbindOk),
        .basic(.qos(prefetchSize: 0, prefetchCount: 8, global: true)), .basic(.qosOk),
        .basic(.consume(queue: "q", consumerTag: "tag", noLocal: false, noAck: true, exclusive: true, noWait: false, arguments: ["x-priority": 5])),
        .basic(.consumeOk(consumerTag: "tag")), .basic(.cancel(consumerTag: "tag", noWait: true)), .basic(.cancelOk(consumerTag: "tag")),
        .basic(.publish(exchange: "x", routingKey: "rk", mandatory: true, immediate: false)),
        .basic(.return(replyCode: 312, replyText: "NO_ROUTE", exchange: "x", routingKey: "rk")),
        .basic(.deliver(consumerTag: "tag", deliveryTag: 1 << 40, redelivered: true, exchange: "x", routingKey: "rk")),
        .basic(.get(queue: "q", noAck: false)),
        .basic(.getOk(deliveryTag: 7, redelivered: false, exchange: "", routingKey: "q", messageCount: 4)), .basic(.getEmpty),
        .basic(.ack(deliveryTag: 5, multiple: true)), .basic(.reject(deliveryTag: 6, requeue: false)),
        .basic(.recoverAsync(requeue: true)), .basic(.recover(requeue: true)), .basic(.recoverOk),
        .basic(.nack(deliveryTag: 8, multiple: false, requeue: true)),
        .confirm(.select(noWait: false)), .confirm(.selectOk),
    ]

    @Test(arguments: all)
    func roundTrips(method: AMQPMethod) throws {
        var buffer = ByteBuffer()
        try method.encode(into: &buffer)
        let decoded = try AMQPMethod(from: &buffer)
        #expect(decoded == method)
        #expect(buffer.readableBytes == 0)
        #expect(!method.name.hasSuffix(".\(method.methodID)"))  // every method has its spec name
    }

    @Test func bitsArePackedLeastSignificantFirst() throws {
        var buffer = ByteBuffer()
        try AMQPMethod.exchange(.declare(exchange: "e", type: "direct", passive: false, durable: true, autoDelete: false, internal: false, noWait: true, arguments: [:]))
            .encode(into: &buffer)
        // class, method, reserved, "e", "direct", bits (durable = bit 1, no-wait = bit 4), empty table
        #expect(Array(buffer.readableBytesView) == [0, 40, 0, 10, 0, 0, 1, 0x65, 6] + Array("direct".utf8) + [0b1_0010, 0, 0, 0, 0])
    }

    @Test(arguments: [[0, 99, 0, 10], [0, 60, 0, 255], [0, 10, 0, 10, 0], [0, 60, 0, 60, 200]] as [[UInt8]])
    func unknownOrTruncatedMethodsThrow(bytes: [UInt8]) {
        var buffer = ByteBuffer(bytes: bytes)
        let error = #expect(throws: AMQPError.self) { try AMQPMethod(from: &buffer) }
        #expect(error?.code == .protocolError)
    }

    @Test func contentIsSplitAtFrameMax() throws {
        var encoder = AMQPFrameEncoder()
        let body = ByteBuffer(repeating: 0x78, count: 300_079)
        try encoder.encode(.basic(.publish(exchange: "", routingKey: "celery", mandatory: false, immediate: false)), properties: .init(), body: body, channel: 1, frameMax: 131_072)
        var decoder = AMQPFrameDecoder()
        var buffer = encoder.buffer
        var sizes: [Int] = []
        while let frame = try decoder.decode(buffer: &buffer) {
            if case .body(let piece) = frame.payload { sizes.append(piece.readableBytes) }
        }
        #expect(sizes == [131_064, 131_064, 37_951])  // what py-amqp and RabbitMQ do (08-large-body-frame-split)
        let error = #expect(throws: AMQPError.self) {
            try encoder.encode(.basic(.publish(exchange: "", routingKey: String(repeating: "k", count: 256), mandatory: false, immediate: false)), properties: .init(), body: body, channel: 1, frameMax: 0)
        }
        #expect(error?.code == .invalidArgument)
    }
}
