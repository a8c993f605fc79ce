import Logging
import NIOCore

/// Encodes requests, decodes replies and matches them to the pending requests of one connection.
///
/// Requests arrive as ``RESPOutboundRequest`` writes; the handler always takes ownership of a request's
/// continuation (it completes the write promise at once) and resumes it exactly once: with the reply, with a
/// server error, or with a ``RESPError`` when the connection breaks, times out or is closed. Cancellation arrives
/// as a ``RESPCancelEvent``. Pub/sub messages go to the `messages` continuation.
final class RESPChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = Never
    typealias OutboundIn = RESPOutboundRequest
    typealias OutboundOut = ByteBuffer

    private var stateMachine: RESPConnectionStateMachine<RESPPromise>
    private var decoder: NIOSingleStepByteToMessageProcessor<RESPValueDecoder>
    private var encoder = RESPCommandEncoder()
    private var timer: (deadline: NIODeadline, task: Scheduled<Void>)?
    private var context: ChannelHandlerContext?
    private var closedByClient = false
    private let messages: AsyncThrowingStream<RESPPubSubMessage, any Error>.Continuation?
    private let logger: Logger

    init(
        isSubscriber: Bool = false,
        messages: AsyncThrowingStream<RESPPubSubMessage, any Error>.Continuation? = nil,
        decoderLimits: RESPValueDecoder.Limits = .init(),
        logger: Logger
    ) {
        self.stateMachine = RESPConnectionStateMachine(isSubscriber: isSubscriber)
        self.decoder = NIOSingleStepByteToMessageProcessor(RESPValueDecoder(limits: decoderLimits), maximumBufferSize: nil)
        self.messages = messages
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.shutDown()
        self.context = nil
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let outbound = self.unwrapOutboundIn(data)
        promise?.succeed(())
        if outbound.token.isCancelled {
            outbound.promise.fail(RESPError(.cancelled, message: "the awaiting task was cancelled"))
            return
        }
        let request = RESPConnectionStateMachine<RESPPromise>.Request(
            id: outbound.token.id,
            kind: outbound.kind,
            deadline: outbound.timeout.map { context.eventLoop.now + $0 },
            closeOnCancel: outbound.closeOnCancel
        )
        switch self.stateMachine.write(request, promise: outbound.promise) {
        case .fail(let promise, let error):
            promise.fail(error)
        case .write:
            self.encoder.reset()
            self.encoder.encode(outbound.commands)
            context.write(self.wrapOutboundOut(self.encoder.buffer), promise: nil)
            if let deadline = request.deadline {
                self.scheduleTimer(at: deadline, context: context)
            }
        }
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let cancel = event as? RESPCancelEvent else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        promise?.succeed(())
        switch self.stateMachine.cancel(id: cancel.id) {
        case .none:
            break
        case .fail(let promise, let error):
            promise.fail(error)
        case .failAllAndClose(let cancelled, let others, let error):
            cancelled?.fail(RESPError(.cancelled, message: "the awaiting task was cancelled"))
            for promise in others { promise.fail(error) }
            self.logger.debug("closing connection after a blocking command was cancelled")
            context.close(promise: nil)
        }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if mode == .all {
            self.closedByClient = true
            let error = RESPError(.connectionClosed, message: "connection closed by the client")
            for pending in self.stateMachine.close() { pending.fail(error) }
        }
        context.close(mode: mode, promise: promise)
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = self.unwrapInboundIn(data)
        do {
            try self.decoder.process(buffer: buffer) { value in
                self.handle(value, context: context)
            }
        } catch {
            self.fail(with: Self.protocolError(error), context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        do {
            try self.decoder.finishProcessing(seenEOF: true) { value in
                self.handle(value, context: context)
            }
        } catch {
            self.fail(with: Self.protocolError(error), context: context)
        }
        self.shutDown()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let failure = error as? RESPError ?? RESPError(.connectionClosed, message: "connection failed", underlying: error)
        self.fail(with: failure, context: context)
    }

    private func handle(_ value: RESPValue, context: ChannelHandlerContext) {
        switch self.stateMachine.read(value) {
        case .none:
            break
        case .succeed(let promise, let values):
            promise.succeed(values)
        case .fail(let promise, let error):
            promise.fail(error)
        case .message(let message):
            if let messages { messages.yield(message) } else { self.logger.debug("dropping a pub/sub message") }
        case .push(let push):
            self.logger.trace("dropping a RESP3 push", metadata: [RESPLogging.pushKind: "\(push.elements?.first?.string ?? "?")"])
        case .failAllAndClose(let promises, let error):
            for promise in promises { promise.fail(error) }
            self.logger.debug("closing connection", metadata: [RESPLogging.error: "\(error)"])
            self.finishMessages(error: error)
            context.close(promise: nil)
        }
        if self.stateMachine.pendingCount == 0, let timer {
            timer.task.cancel()
            self.timer = nil
        }
    }

    private func fail(with error: RESPError, context: ChannelHandlerContext) {
        guard case .failAllAndClose(let promises, let error) = self.stateMachine.errorCaught(error) else { return }
        for promise in promises { promise.fail(error) }
        self.logger.debug("closing connection", metadata: [RESPLogging.error: "\(error)"])
        self.finishMessages(error: error)
        context.close(promise: nil)
    }

    private func shutDown() {
        let (promises, error) = self.stateMachine.channelInactive()
        for promise in promises { promise.fail(error) }
        self.timer?.task.cancel()
        self.timer = nil
        self.finishMessages(error: error)
    }

    private func finishMessages(error: RESPError) {
        if self.closedByClient { self.messages?.finish() } else { self.messages?.finish(throwing: error) }
    }

    private static func protocolError(_ error: any Error) -> RESPError {
        error as? RESPError ?? RESPError(.protocolError, message: "undecodable reply", underlying: error)
    }

    // MARK: Timer

    private func scheduleTimer(at deadline: NIODeadline, context: ChannelHandlerContext) {
        if let timer, timer.deadline <= deadline { return }
        self.timer?.task.cancel()
        let task = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            self.timerFired()
        }
        self.timer = (deadline, task)
    }

    private func timerFired() {
        self.timer = nil
        guard let context = self.context else { return }
        switch self.stateMachine.timerFired(now: context.eventLoop.now) {
        case .none:
            break
        case .schedule(let deadline):
            self.scheduleTimer(at: deadline, context: context)
        case .failAllAndClose(let promises, let error):
            for promise in promises { promise.fail(error) }
            self.logger.debug("closing connection: a command timed out")
            self.finishMessages(error: error)
            context.close(promise: nil)
        }
    }
}

@available(*, unavailable)
extension RESPChannelHandler: Sendable {}
