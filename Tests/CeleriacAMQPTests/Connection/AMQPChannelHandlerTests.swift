import NIOCore
import NIOEmbedded
import Testing

@testable import CeleriacAMQP

@Suite("AMQP channel handler")
struct AMQPChannelHandlerTests {
    @Test func handshakeOpensTheConnection() throws {
        let amqp = try EmbeddedAMQP(heartbeat: 30)
        #expect(try amqp.written().isEmpty)  // only the protocol header so far
        try amqp.receive([amqp.method(.connection(AMQPConnectionStateMachineTests.start))], bytewise: true)
        guard case .method(.connection(.startOk(_, "PLAIN", let response, "en_US")))? = try amqp.written().first?.payload else {
            Issue.record("no start-ok")
            return
        }
        #expect(response == Array("\0guest\0secret".utf8))
        try amqp.receive([amqp.method(.connection(.tune(channelMax: 2047, frameMax: 131_072, heartbeat: 60)))])
        #expect(try amqp.written().map(\.payload) == [.method(.connection(.tuneOk(channelMax: 2047, frameMax: 131_072, heartbeat: 30))), .method(.connection(.open(virtualHost: "/")))])
        try amqp.receive([amqp.method(.connection(.openOk))])
        let negotiated = try amqp.opened.wait()
        #expect(negotiated.heartbeat == 30 && negotiated.channelMax == 2047)
        #expect(try amqp.openChannel() == 1)
        #expect(try amqp.openChannel() == 2)
    }

    @Test func refusedLoginFailsTheOpenPromise() throws {
        let amqp = try EmbeddedAMQP()
        _ = try amqp.written()
        try amqp.receive([amqp.method(.connection(AMQPConnectionStateMachineTests.start))])
        _ = try amqp.written()
        try amqp.receive([amqp.method(.connection(.close(replyCode: 403, replyText: "ACCESS_REFUSED", classID: 0, methodID: 0)))])
        #expect(try amqp.written().map(\.payload) == [.method(.connection(.closeOk))])
        let error = #expect(throws: AMQPError.self) { try amqp.opened.wait() }
        #expect(error?.code == .authenticationFailed)
        #expect(!amqp.channel.isActive)
    }

    @Test func deliveryReassembledFromFramesSplitAcrossReads() async throws {
        let amqp = try EmbeddedAMQP()
        try amqp.handshake(frameMax: 4096)
        let id = try amqp.openChannel()
        let (stream, sink) = AsyncThrowingStream.makeStream(of: AMQPDelivery.self)
        let consumed = amqp.loop.makePromise(of: AMQPReply.self)
        let consume = AMQPMethod.basic(.consume(queue: "q", consumerTag: "t", noLocal: false, noAck: false, exclusive: false, noWait: false, arguments: [:]))
        amqp.channel.writeAndFlush(AMQPCommand.consume(channel: id, method: consume, consumerTag: "t", sink: sink, promise: consumed), promise: nil)
        #expect(try amqp.written().map(\.payload) == [.method(consume)])
        try amqp.receive([amqp.method(.basic(.consumeOk(consumerTag: "t")), channel: id)])
        #expect(try EmbeddedAMQP.result(of: consumed.futureResult)?.get().method == .basic(.consumeOk(consumerTag: "t")))
        // A 10 000-byte body in frames of 4088 bytes, fed one byte at a time.
        var body = ByteBuffer()
        for index in 0..<10_000 { body.writeInteger(UInt8(truncatingIfNeeded: index)) }
        var encoder = AMQPFrameEncoder()
        try encoder.encode(
            .basic(.deliver(consumerTag: "t", deliveryTag: 7, redelivered: true, exchange: "x", routingKey: "rk")),
            properties: AMQPProperties(contentType: "application/json", headers: ["retries": 1]), body: body, channel: id, frameMax: 4096
        )
        #expect(encoder.buffer.readableBytes == 28 + 56 + 10_000 + 3 * 8)  // method, header, three body frames
        try amqp.receive(bytes: encoder.buffer, bytewise: true)
        sink.finish()
        var deliveries: [AMQPDelivery] = []
        for try await delivery in stream { deliveries.append(delivery) }
        #expect(deliveries.count == 1)
        let delivery = try #require(deliveries.first)
        #expect(delivery.body == body)
        #expect(delivery.deliveryTag == 7 && delivery.redelivered && delivery.routingKey == "rk")
        #expect(delivery.properties.headers?["retries"] == .int32(1))
    }

    @Test func brokerChannelCloseFailsThePendingCall() throws {
        let amqp = try EmbeddedAMQP()
        try amqp.handshake()
        let id = try amqp.openChannel()
        let reply = amqp.call(.queue(.declare(queue: "missing", passive: true, durable: false, exclusive: false, autoDelete: false, noWait: false, arguments: [:])), channel: id)
        _ = try amqp.written()
        try amqp.receive([amqp.method(.channel(.close(replyCode: 404, replyText: "NOT_FOUND - no queue 'missing'", classID: 50, methodID: 10)), channel: id)])
        #expect(try amqp.written().map(\.payload) == [.method(.channel(.closeOk))])
        let error = #expect(throws: AMQPError.self) { try reply.wait() }
        #expect(error?.code == .channelClosed && error?.replyCode == 404)
        #expect(error?.message?.contains("queue.declare") == true)
        // The channel is gone; the connection is not.
        let later = amqp.call(.basic(.qos(prefetchSize: 0, prefetchCount: 1, global: false)), channel: id)
        #expect((#expect(throws: AMQPError.self) { try later.wait() })?.code == .channelClosed)
        #expect(amqp.channel.isActive)
    }

    @Test func confirmsSettleSinglyAndMultiply() throws {
        let amqp = try EmbeddedAMQP()
        try amqp.handshake()
        let id = try amqp.openChannel()
        let select = amqp.call(.confirm(.select(noWait: false)), channel: id)
        try amqp.receive([amqp.method(.confirm(.selectOk), channel: id)])
        _ = try select.wait()
        let publishes = (0..<3).map { _ in amqp.loop.makePromise(of: Void.self) }
        for promise in publishes {
            let publish = AMQPMethod.basic(.publish(exchange: "", routingKey: "q", mandatory: false, immediate: false))
            amqp.channel.writeAndFlush(AMQPCommand.publish(channel: id, method: publish, properties: .init(), body: ByteBuffer(string: "x"), promise: promise), promise: nil)
        }
        #expect(try amqp.written().count == 1 + 3 * 3)  // select + 3 × (method, header, body)
        #expect(EmbeddedAMQP.result(of: publishes[0].futureResult) == nil)
        try amqp.receive([amqp.method(.basic(.ack(deliveryTag: 2, multiple: true)), channel: id)])
        #expect(throws: Never.self) { try publishes[0].futureResult.wait() }
        #expect(throws: Never.self) { try publishes[1].futureResult.wait() }
        try amqp.receive([amqp.method(.basic(.nack(deliveryTag: 3, multiple: false, requeue: false)), channel: id)])
        #expect((#expect(throws: AMQPError.self) { try publishes[2].futureResult.wait() })?.code == .publishNacked)
    }

    @Test func heartbeatsAreSentAndASilentBrokerIsDetected() throws {
        let amqp = try EmbeddedAMQP(heartbeat: 2)
        try amqp.handshake(heartbeat: 2)
        let id = try amqp.openChannel()
        let pending = amqp.call(.basic(.qos(prefetchSize: 0, prefetchCount: 1, global: false)), channel: id)
        _ = try amqp.written()
        amqp.loop.advanceTime(by: .milliseconds(1500))
        #expect(try amqp.written().map(\.payload).contains(.heartbeat))
        try amqp.receive([AMQPFrame(channel: 0, payload: .heartbeat)])
        amqp.loop.advanceTime(by: .seconds(3))
        #expect(amqp.channel.isActive)  // the broker spoke 3 s ago: fine
        amqp.loop.advanceTime(by: .seconds(3))
        #expect(!amqp.channel.isActive)
        #expect((#expect(throws: AMQPError.self) { try pending.wait() })?.code == .heartbeatTimeout)
    }

    @Test func blockedAndUnblockedAreReported() throws {
        let amqp = try EmbeddedAMQP()
        try amqp.handshake()
        try amqp.receive([amqp.method(.connection(.blocked(reason: "low on memory"))), amqp.method(.connection(.unblocked))])
        #expect(amqp.events == [.blocked(reason: "low on memory"), .unblocked])
    }

    @Test func malformedFrameClosesWithAClearError() throws {
        let amqp = try EmbeddedAMQP()
        try amqp.handshake()
        let id = try amqp.openChannel()
        let pending = amqp.call(.basic(.qos(prefetchSize: 0, prefetchCount: 1, global: false)), channel: id)
        _ = try amqp.written()
        try amqp.receive(bytes: ByteBuffer(bytes: [1, 0, 1, 0, 0, 0, 4, 0, 60, 0, 11, 0xAB]))  // bad frame end
        #expect(try amqp.written().map(\.payload).first == .method(.connection(.close(replyCode: 501, replyText: "frame end octet is 0xab, not 0xce", classID: 0, methodID: 0))))
        let error = #expect(throws: AMQPError.self) { try pending.wait() }
        #expect(error?.code == .protocolError)
        #expect(!amqp.channel.isActive)
    }

    @Test func oversizedFrameIsRejectedBeforeItArrives() throws {
        let amqp = try EmbeddedAMQP()
        try amqp.handshake(frameMax: 4096)
        // Only the 7-byte header of a frame claiming 1 GB: rejected at once, nothing allocated, no waiting.
        try amqp.receive(bytes: ByteBuffer(bytes: [3, 0, 1, 0x40, 0, 0, 0]))
        #expect(!amqp.channel.isActive)
    }

    @Test func bodyLargerThanTheLimitIsRefused() throws {
        let amqp = try EmbeddedAMQP(maximumBodySize: 100)
        try amqp.handshake()
        let id = try amqp.openChannel()
        try amqp.receive([
            amqp.method(.basic(.deliver(consumerTag: "t", deliveryTag: 1, redelivered: false, exchange: "", routingKey: "q")), channel: id),
            AMQPFrame(channel: id, payload: .header(AMQPContentHeader(bodySize: 1 << 40, properties: .init()))),
        ])
        #expect(!amqp.channel.isActive)
    }
}
