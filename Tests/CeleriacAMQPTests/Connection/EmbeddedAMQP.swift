import Logging
import NIOCore
import NIOEmbedded
import Synchronization
import Testing

@testable import CeleriacAMQP

/// An ``AMQPChannelHandler`` on an `EmbeddedChannel`, with the test playing the broker frame by frame.
final class EmbeddedAMQP {
    let loop = EmbeddedEventLoop()
    let channel: EmbeddedChannel
    let opened: EventLoopFuture<AMQPNegotiatedParameters>
    let eventLog = EventLog()
    private var sawProtocolHeader = false

    init(heartbeat: UInt16 = 0, maximumBodySize: UInt64 = 1 << 20) throws {
        let promise = self.loop.makePromise(of: AMQPNegotiatedParameters.self)
        let events = self.eventLog
        let handler = AMQPChannelHandler(
            options: AMQPConnectionStateMachineTests.options(heartbeat: heartbeat),
            maximumBodySize: maximumBodySize,
            openPromise: promise,
            onEvent: { event in events.record(event) },
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        self.channel = EmbeddedChannel(handler: handler, loop: self.loop)
        self.opened = promise.futureResult
        try self.channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 5672)).wait()
    }

    /// Every frame the client wrote since the last call (the protocol header is checked and skipped).
    func written() throws -> [AMQPFrame] {
        var bytes = ByteBuffer()
        while let buffer = try self.channel.readOutbound(as: ByteBuffer.self) { bytes.writeImmutableBuffer(buffer) }
        if !self.sawProtocolHeader, bytes.readableBytes >= 8 {
            #expect(bytes.readBytes(length: 8) == AMQPFrame.protocolHeader)
            self.sawProtocolHeader = true
        }
        var decoder = AMQPFrameDecoder(limit: .init(frameMax: 0))
        var frames: [AMQPFrame] = []
        while let frame = try decoder.decode(buffer: &bytes) { frames.append(frame) }
        return frames
    }

    /// The broker sends frames, in one read or one read per byte.
    func receive(_ frames: [AMQPFrame], bytewise: Bool = false) throws {
        var encoder = AMQPFrameEncoder()
        for frame in frames { try encoder.encode(frame) }
        try self.receive(bytes: encoder.buffer, bytewise: bytewise)
    }

    func receive(bytes: ByteBuffer, bytewise: Bool = false) throws {
        if bytewise {
            var rest = bytes
            while let byte = rest.readSlice(length: 1) { try self.channel.writeInbound(byte) }
        } else {
            try self.channel.writeInbound(bytes)
        }
    }

    func method(_ method: AMQPMethod, channel: UInt16 = 0) -> AMQPFrame {
        AMQPFrame(channel: channel, payload: .method(method))
    }

    /// Runs the handshake as RabbitMQ would.
    func handshake(heartbeat: UInt16 = 0, frameMax: UInt32 = 131_072) throws {
        _ = try self.written()
        try self.receive([self.method(.connection(AMQPConnectionStateMachineTests.start))])
        _ = try self.written()
        try self.receive([self.method(.connection(.tune(channelMax: 2047, frameMax: frameMax, heartbeat: heartbeat)))])
        _ = try self.written()
        try self.receive([self.method(.connection(.openOk))])
    }

    /// Opens a channel; returns its number.
    func openChannel() throws -> UInt16 {
        let promise = self.loop.makePromise(of: UInt16.self)
        self.channel.writeAndFlush(AMQPCommand.openChannel(promise), promise: nil)
        let frames = try self.written()
        let id = try #require(frames.first?.channel)
        #expect(frames.first?.payload == .method(.channel(.open)))
        try self.receive([self.method(.channel(.openOk), channel: id)])
        return try promise.futureResult.wait()
    }

    /// Sends a synchronous method; returns the promise for its reply.
    func call(_ method: AMQPMethod, channel: UInt16) -> EventLoopFuture<AMQPReply> {
        let promise = self.loop.makePromise(of: AMQPReply.self)
        self.channel.writeAndFlush(AMQPCommand.call(channel: channel, method: method, promise: promise), promise: nil)
        return promise.futureResult
    }

    /// Whether a future has completed, and with an error of which code.
    static func result<Value>(of future: EventLoopFuture<Value>) -> Result<Value, any Error>? {
        let box = ResultBox<Value>()
        future.whenComplete { box.result = $0 }
        return box.result
    }

    var events: [AMQPConnectionEvent] { self.eventLog.events.withLock { $0 } }
}

/// Where the handler's events go.
final class EventLog: Sendable {
    let events = Mutex<[AMQPConnectionEvent]>([])
    func record(_ event: AMQPConnectionEvent) { self.events.withLock { $0.append(event) } }
}

/// `@unchecked Sendable`: only used on the embedded event loop, which runs on the test's own thread.
final class ResultBox<Value>: @unchecked Sendable {
    var result: Result<Value, any Error>?
}
