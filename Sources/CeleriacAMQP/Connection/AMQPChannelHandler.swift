import Logging
import NIOCore

/// Runs one AMQP connection on a NIO channel: decodes frames, drives ``AMQPConnectionStateMachine`` for channel 0,
/// multiplexes AMQP channels (``AMQPChannelState``), reassembles message content, sends heartbeats and detects a
/// silent broker.
///
/// Every ``AMQPCommand`` promise is completed exactly once. A malformed or misplaced frame from the broker closes
/// the connection (with `connection.close` 501/503/505 when possible) and fails everything pending with
/// ``AMQPError/Code/protocolError``; nothing the broker sends can crash or hang the client.
final class AMQPChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = Never
    typealias OutboundIn = AMQPCommand
    typealias OutboundOut = ByteBuffer

    var connection: AMQPConnectionStateMachine
    var channels: [UInt16: AMQPChannelState] = [:]
    var encoder = AMQPFrameEncoder()
    let maximumBodySize: UInt64
    let logger: Logger
    private var nextChannelID: UInt16 = 1
    private let limit = AMQPFrameDecoder.Limit(frameMax: 131_072)
    private var decoder: NIOSingleStepByteToMessageProcessor<AMQPFrameDecoder>
    private var openPromise: EventLoopPromise<AMQPNegotiatedParameters>?
    private var closePromises: [EventLoopPromise<Void>] = []
    private var heartbeatTask: Scheduled<Void>?
    private var closeTimeout: Scheduled<Void>?
    private var lastRead = NIODeadline.now()
    private var lastWrite = NIODeadline.now()
    private(set) var failure: AMQPError?
    private var context: ChannelHandlerContext?
    private let onEvent: (@Sendable (AMQPConnectionEvent) -> Void)?

    init(
        options: AMQPConnectionStateMachine.Options,
        maximumBodySize: UInt64,
        openPromise: EventLoopPromise<AMQPNegotiatedParameters>,
        onEvent: (@Sendable (AMQPConnectionEvent) -> Void)? = nil,
        logger: Logger
    ) {
        self.connection = AMQPConnectionStateMachine(options: options)
        self.maximumBodySize = maximumBodySize
        self.openPromise = openPromise
        self.onEvent = onEvent
        self.logger = logger
        self.decoder = NIOSingleStepByteToMessageProcessor(AMQPFrameDecoder(limit: self.limit), maximumBufferSize: nil)
    }

    /// The negotiated `frame_max` (0 = no limit).
    var frameMax: UInt32 { self.connection.tuning?.frameMax ?? 131_072 }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { self.start(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.start(context: context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.failAll(AMQPError(.connectionClosed, message: "the connection handler was removed"))
        self.context = nil
    }

    private func start(context: ChannelHandlerContext) {
        self.lastRead = context.eventLoop.now
        self.lastWrite = context.eventLoop.now
        self.run(self.connection.channelActive(), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let error = self.connection.channelInactive()
        self.failAll(self.failure ?? error)
        for promise in self.closePromises { promise.succeed(()) }
        self.closePromises = []
        self.closeTimeout?.cancel()
        self.closeTimeout = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let failure = error as? AMQPError ?? AMQPError(.connectionClosed, message: "the connection failed", underlying: error)
        self.logger.debug("connection error", metadata: [AMQPLogging.error: "\(String(reflecting: failure))"])
        self.failAll(failure)
        context.close(promise: nil)
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.lastRead = context.eventLoop.now
        guard self.failure == nil else { return }
        do {
            try self.decoder.process(buffer: self.unwrapInboundIn(data)) { frame in
                guard self.failure == nil else { return }
                self.handle(frame, context: context)
            }
        } catch {
            let failure = error as? AMQPError ?? .protocolError("undecodable frame: \(error)")
            self.protocolViolation(failure, replyCode: 501, context: context)
        }
    }

    private func handle(_ frame: AMQPFrame, context: ChannelHandlerContext) {
        if frame.channel == 0 {
            switch frame.payload {
            case .method(.connection(let method)):
                self.run(self.connection.received(method), context: context)
            case .heartbeat:
                break
            default:
                self.protocolViolation(.protocolError("unexpected \(Self.describe(frame.payload)) on channel 0"), replyCode: 503, context: context)
            }
            return
        }
        guard case .open = self.connection.state else {
            self.protocolViolation(.protocolError("a frame for channel \(frame.channel) before the connection was open"), replyCode: 504, context: context)
            return
        }
        guard self.channels[frame.channel] != nil else {
            self.protocolViolation(.protocolError("a frame for channel \(frame.channel), which is not open"), replyCode: 504, context: context)
            return
        }
        do {
            try self.handleChannelFrame(frame, context: context)
        } catch {
            self.protocolViolation(error, replyCode: 505, context: context)
        }
    }

    static func describe(_ payload: AMQPFrame.Payload) -> String {
        switch payload {
        case .method(let method): method.name
        case .header: "content header"
        case .body: "content body"
        case .heartbeat: "heartbeat"
        }
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        promise?.succeed(())
        let command = self.unwrapOutboundIn(data)
        if case .closeConnection(let promise) = command {
            self.closePromises.append(promise)
            self.run(self.connection.close(), context: context)
            if self.closeTimeout == nil, context.channel.isActive {
                // A broker that never answers close must not hang the client.
                self.closeTimeout = context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(5)) { [self] in
                    self.context?.close(promise: nil)
                }
            }
            return
        }
        guard case .open = self.connection.state, self.failure == nil else {
            Self.fail(command, with: self.failure ?? AMQPError(.connectionClosed, message: "the connection is not open"))
            return
        }
        self.perform(command, context: context)
    }

    func flush(context: ChannelHandlerContext) {
        // Frames are flushed as they are written.
    }

    /// Writes the encoder's buffer and flushes it.
    func flushEncoder(context: ChannelHandlerContext, promise: EventLoopPromise<Void>? = nil) {
        guard self.encoder.buffer.readableBytes > 0 else {
            promise?.succeed(())
            return
        }
        self.lastWrite = context.eventLoop.now
        context.writeAndFlush(self.wrapOutboundOut(self.encoder.buffer), promise: promise)
        self.encoder.reset()
    }

    func allocateChannelID() -> UInt16? {
        let maximum = Int(self.connection.tuning.map { $0.channelMax == 0 ? 65535 : $0.channelMax } ?? 65535)
        for _ in 0..<maximum {
            let candidate = self.nextChannelID
            self.nextChannelID = candidate >= maximum ? 1 : candidate + 1
            if self.channels[candidate] == nil { return candidate }
        }
        return nil
    }

    // MARK: Actions

    private func run(_ action: AMQPConnectionStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .sendProtocolHeader:
            self.encoder.encodeProtocolHeader()
            self.flushEncoder(context: context)
        case .send(let methods, let tuning):
            if let tuning { self.limit.frameMax = tuning.frameMax }
            for method in methods { try? self.encoder.encode(AMQPFrame(channel: 0, payload: .method(.connection(method)))) }
            self.flushEncoder(context: context)
        case .opened(let tuning, let serverProperties):
            self.logger.debug("connection open", metadata: ["amqp.frame_max": "\(tuning.frameMax)", "amqp.heartbeat": "\(tuning.heartbeat)"])
            self.openPromise?.succeed(
                AMQPNegotiatedParameters(
                    channelMax: tuning.channelMax, frameMax: tuning.frameMax, heartbeat: tuning.heartbeat, serverProperties: serverProperties
                )
            )
            self.openPromise = nil
            if tuning.heartbeat > 0 { self.scheduleHeartbeat(tuning.heartbeat, context: context) }
        case .sendCloseOkAndClose(let error):
            try? self.encoder.encode(AMQPFrame(channel: 0, payload: .method(.connection(.closeOk))))
            self.flushEncoder(context: context)
            self.logger.debug("the broker closed the connection", metadata: [AMQPLogging.error: "\(error)"])
            self.failAll(error)
            context.close(promise: nil)
        case .sendCloseAndClose(let code, let error):
            let text = String(decoding: (error.message ?? "protocol error").utf8.prefix(200), as: UTF8.self)
            try? self.encoder.encode(
                AMQPFrame(channel: 0, payload: .method(.connection(.close(replyCode: code, replyText: text, classID: 0, methodID: 0))))
            )
            self.flushEncoder(context: context)
            self.logger.debug("closing the connection: protocol error", metadata: [AMQPLogging.error: "\(error)"])
            self.failAll(error)
            context.close(promise: nil)
        case .closeSocket(let error):
            self.failAll(error ?? AMQPError(.connectionClosed, message: "the connection was closed by the client"))
            context.close(promise: nil)
        case .sendHeartbeat:
            try? self.encoder.encode(AMQPFrame(channel: 0, payload: .heartbeat))
            self.flushEncoder(context: context)
        case .blocked(let reason):
            self.logger.info("the broker blocked publishing", metadata: ["amqp.reason": "\(reason)"])
            self.onEvent?(.blocked(reason: reason))
        case .unblocked:
            self.logger.info("the broker unblocked publishing")
            self.onEvent?(.unblocked)
        }
    }

    func protocolViolation(_ error: AMQPError, replyCode: UInt16, context: ChannelHandlerContext) {
        self.run(self.connection.protocolViolation(error, replyCode: replyCode), context: context)
    }

    private func failAll(_ error: AMQPError) {
        if self.failure == nil { self.failure = error }
        self.openPromise?.fail(error)
        self.openPromise = nil
        let channels = self.channels
        self.channels = [:]
        for var state in channels.values { state.fail(error) }
        self.heartbeatTask?.cancel()
        self.heartbeatTask = nil
    }

    private func scheduleHeartbeat(_ seconds: UInt16, context: ChannelHandlerContext) {
        let tick = TimeAmount.milliseconds(max(250, Int64(seconds) * 250))
        self.heartbeatTask = context.eventLoop.assumeIsolated().scheduleTask(in: tick) { [self] in
            guard let context = self.context, self.failure == nil else { return }
            let now = context.eventLoop.now
            self.run(self.connection.heartbeatTick(now: now, lastRead: self.lastRead, lastWrite: self.lastWrite), context: context)
            if self.failure == nil { self.scheduleHeartbeat(seconds, context: context) }
        }
    }

    static func fail(_ command: AMQPCommand, with error: AMQPError) {
        switch command {
        case .openChannel(let promise): promise.fail(error)
        case .call(_, _, let promise): promise.fail(error)
        case .send(_, _, let promise): promise?.fail(error)
        case .publish(_, _, _, _, let promise): promise.fail(error)
        case .consume(_, _, _, let sink, let promise):
            sink.finish(throwing: error)
            promise.fail(error)
        case .closeChannel(_, let promise): promise.succeed(())
        case .closeConnection(let promise): promise.succeed(())
        }
    }
}

@available(*, unavailable)
extension AMQPChannelHandler: Sendable {}
