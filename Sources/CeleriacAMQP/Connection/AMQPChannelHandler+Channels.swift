import Logging
import NIOCore

extension AMQPChannelHandler {
    // MARK: Commands

    func perform(_ command: AMQPCommand, context: ChannelHandlerContext) {
        switch command {
        case .openChannel(let promise):
            guard let id = self.allocateChannelID() else {
                promise.fail(AMQPError(.invalidArgument, message: "no free channel number (channel_max reached)"))
                return
            }
            var state = AMQPChannelState()
            state.pending.append(.open(promise))
            self.channels[id] = state
            self.writeMethod(.channel(.open), channel: id, context: context)
        case .call(let id, let method, let promise):
            guard self.withOpenChannel(id, failing: command, { $0.pending.append(.reply(promise)) }) else { return }
            self.writeMethod(method, channel: id, context: context)
        case .send(let id, let method, let promise):
            guard self.withOpenChannel(id, failing: command, { _ in }) else { return }
            self.writeMethod(method, channel: id, context: context, promise: promise)
        case .publish(let id, let method, let properties, let body, let promise):
            var confirmed = false
            guard
                self.withOpenChannel(id, failing: command, { state in
                    guard state.isConfirmMode else { return }
                    state.unconfirmed.append((state.nextPublishSequence, promise))
                    state.nextPublishSequence += 1
                    confirmed = true
                })
            else { return }
            do {
                try self.encoder.encode(method, properties: properties, body: body, channel: id, frameMax: self.frameMax)
            } catch {
                if confirmed { self.channels[id]?.unconfirmed.removeLast() }
                promise.fail(error)
                return
            }
            self.flushEncoder(context: context, promise: confirmed ? nil : promise)
        case .consume(let id, let method, let tag, let sink, let promise):
            guard
                self.withOpenChannel(id, failing: command, { state in
                    state.consumers[tag] = sink
                    state.pending.append(.reply(promise))
                })
            else { return }
            self.writeMethod(method, channel: id, context: context)
        case .closeChannel(let id, let promise):
            guard var state = self.channels[id], state.status != .closing else {
                promise.succeed(())
                return
            }
            state.status = .closing
            state.pending.append(.close(promise))
            self.channels[id] = state
            self.writeMethod(.channel(.close(replyCode: 200, replyText: "", classID: 0, methodID: 0)), channel: id, context: context)
        case .closeConnection:
            break  // handled in write(context:data:promise:)
        }
    }

    /// Runs `body` on an open channel's state; fails the command and returns `false` when the channel isn't open.
    private func withOpenChannel(_ id: UInt16, failing command: AMQPCommand, _ body: (inout AMQPChannelState) -> Void) -> Bool {
        guard var state = self.channels[id], state.status == .open else {
            Self.fail(command, with: AMQPError(.channelClosed, message: "channel \(id) is closed"))
            return false
        }
        body(&state)
        self.channels[id] = state
        return true
    }

    private func writeMethod(_ method: AMQPMethod, channel: UInt16, context: ChannelHandlerContext, promise: EventLoopPromise<Void>? = nil) {
        do {
            try self.encoder.encode(AMQPFrame(channel: channel, payload: .method(method)))
        } catch {
            // Only an over-long short string gets here; the channel's pending reply (if any) is the last one added.
            if case .reply(let pending)? = self.channels[channel]?.pending.last, self.channels[channel]?.pending.isEmpty == false {
                self.channels[channel]?.pending.removeLast()
                pending.fail(error)
            }
            promise?.fail(error)
            return
        }
        self.flushEncoder(context: context, promise: promise)
    }

    // MARK: Frames

    func handleChannelFrame(_ frame: AMQPFrame, context: ChannelHandlerContext) throws(AMQPError) {
        let id = frame.channel
        guard var state = self.channels[id] else { return }
        switch frame.payload {
        case .heartbeat:
            throw .protocolError("a heartbeat on channel \(id)")
        case .header(let header):
            guard case .awaitingHeader(let owner) = state.content else { throw .protocolError("an unexpected content header on channel \(id)") }
            guard header.classID == 60 else { throw .protocolError("a content header of class \(header.classID)") }
            guard header.bodySize <= self.maximumBodySize else {
                throw .protocolError("a message body of \(header.bodySize) bytes exceeds the limit of \(self.maximumBodySize)")
            }
            if header.bodySize == 0 {
                state.content = .idle
                self.channels[id] = state
                self.complete(owner, AMQPMessage(properties: header.properties, body: ByteBuffer()), channel: id, context: context)
            } else {
                let capacity = Int(min(header.bodySize, 1 << 20))
                state.content = .awaitingBody(owner, header.properties, body: context.channel.allocator.buffer(capacity: capacity), remaining: header.bodySize)
                self.channels[id] = state
            }
        case .body(let piece):
            guard case .awaitingBody(let owner, let properties, var body, let remaining) = state.content else {
                throw .protocolError("an unexpected content body on channel \(id)")
            }
            // Drop the other references to the body so that appending doesn't copy it.
            state.content = .idle
            self.channels[id]?.content = .idle
            guard UInt64(piece.readableBytes) <= remaining else { throw .protocolError("content body longer than its header said on channel \(id)") }
            var piece = piece
            let newRemaining = remaining - UInt64(piece.readableBytes)
            body.writeBuffer(&piece)
            if newRemaining == 0 {
                state.content = .idle
                self.channels[id] = state
                self.complete(owner, AMQPMessage(properties: properties, body: body), channel: id, context: context)
            } else {
                state.content = .awaitingBody(owner, properties, body: body, remaining: newRemaining)
                self.channels[id] = state
            }
        case .method(let method):
            guard case .idle = state.content else { throw .protocolError("\(method.name) interrupts a message's content on channel \(id)") }
            try self.handleChannelMethod(method, state: &state, channel: id, context: context)
        }
    }
}
