import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import CeleriacAMQP

/// ``AMQPConnection`` and ``AMQPChannel`` on an `NIOAsyncTestingChannel`, the test playing the broker: operation
/// timeouts and task cancellation.
@Suite("AMQP connection API")
struct AMQPConnectionTests {
    static func frames(_ frames: [AMQPFrame]) throws -> ByteBuffer {
        var encoder = AMQPFrameEncoder()
        for frame in frames { try encoder.encode(frame) }
        return encoder.buffer
    }

    /// A connection past the handshake with channel 1 open.
    static func openChannel(operationTimeout: Duration? = .seconds(30)) async throws -> (NIOAsyncTestingChannel, AMQPChannel) {
        let loop = NIOAsyncTestingEventLoop()
        let opened = loop.makePromise(of: AMQPNegotiatedParameters.self)
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let channel = try await NIOAsyncTestingChannel(loop: loop) { channel in
            let handler = AMQPChannelHandler(
                options: AMQPConnectionStateMachineTests.options(heartbeat: 0), maximumBodySize: 1 << 20, openPromise: opened, logger: logger
            )
            try channel.pipeline.syncOperations.addHandler(handler)
        }
        try await channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 5672))
        try await channel.writeInbound(try Self.frames([AMQPFrame(channel: 0, payload: .method(.connection(AMQPConnectionStateMachineTests.start)))]))
        try await channel.writeInbound(try Self.frames([AMQPFrame(channel: 0, payload: .method(.connection(.tune(channelMax: 0, frameMax: 131_072, heartbeat: 0))))]))
        try await channel.writeInbound(try Self.frames([AMQPFrame(channel: 0, payload: .method(.connection(.openOk)))]))
        var configuration = AMQPConfiguration()
        configuration.operationTimeout = operationTimeout
        let connection = AMQPConnection(
            channel: channel, configuration: configuration, negotiated: try await opened.futureResult.get(), state: AMQPConnectionEvents(), logger: logger
        )
        while (try await channel.readOutbound(as: ByteBuffer.self)) != nil {}
        async let opening = connection.openChannel()
        _ = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        try await channel.writeInbound(try Self.frames([AMQPFrame(channel: 1, payload: .method(.channel(.openOk)))]))
        return (channel, try await opening)
    }

    @Test func operationTimeoutClosesTheConnection() async throws {
        let (testing, channel) = try await Self.openChannel(operationTimeout: .seconds(5))
        let qos = Task { try await channel.qos(prefetchCount: 1) }
        _ = try await testing.waitForOutboundWrite(as: ByteBuffer.self)  // sent; the broker never answers
        await testing.testingEventLoop.advanceTime(by: .seconds(6))
        let error = await #expect(throws: AMQPError.self) { try await qos.value }
        #expect(error?.code == .timeout)
        #expect(error?.message?.contains("basic.qos") == true)
        #expect(!channel.connection.isOpen)
    }

    @Test func cancellingAPendingCallThrowsAtOnce() async throws {
        let (testing, channel) = try await Self.openChannel()
        let task = Task { try await channel.qos(prefetchCount: 1) }
        _ = try await testing.waitForOutboundWrite(as: ByteBuffer.self)
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        // The late reply is matched to its request and dropped; the channel goes on.
        try await testing.writeInbound(try Self.frames([AMQPFrame(channel: 1, payload: .method(.basic(.qosOk)))]))
        async let purge = channel.purgeQueue("q")
        _ = try await testing.waitForOutboundWrite(as: ByteBuffer.self)
        try await testing.writeInbound(try Self.frames([AMQPFrame(channel: 1, payload: .method(.queue(.purgeOk(messageCount: 3))))]))
        #expect(try await purge == 3)
        #expect(channel.connection.isOpen)
    }
}
