import Logging
import NIOCore

extension AMQPChannelHandler {
    func handleChannelMethod(
        _ method: AMQPMethod,
        state: inout AMQPChannelState,
        channel id: UInt16,
        context: ChannelHandlerContext
    ) throws(AMQPError) {
        switch method {
        case .channel(.close(let code, let text, let classID, let methodID)):
            self.channels[id] = nil
            try? self.encoder.encode(AMQPFrame(channel: id, payload: .method(.channel(.closeOk))))
            self.flushEncoder(context: context)
            var message = "the broker closed channel \(id)"
            if classID != 0 { message += " after \(AMQPMethod.methodNameWithClass(classID: classID, methodID: methodID))" }
            let error = AMQPError(.channelClosed, message: message, replyCode: code, replyText: text)
            self.logger.debug("channel closed by the broker", metadata: [AMQPLogging.channel: "\(id)", AMQPLogging.error: "\(error)"])
            state.fail(error)
        case .channel(.closeOk):
            guard case .close(let promise)? = state.pending.first else { throw .protocolError("an unexpected channel.close-ok on channel \(id)") }
            state.pending.removeFirst()
            self.channels[id] = nil
            state.fail(AMQPError(.channelClosed, message: "channel \(id) was closed"), finishConsumersCleanly: true)
            promise.succeed(())
        case .channel(.flow(let active)):
            self.channels[id] = state
            try? self.encoder.encode(AMQPFrame(channel: id, payload: .method(.channel(.flowOk(active: active)))))
            self.flushEncoder(context: context)
        case .basic(.deliver(let consumerTag, let deliveryTag, let redelivered, let exchange, let routingKey)):
            state.content = .awaitingHeader(
                .deliver(consumerTag: consumerTag, deliveryTag: deliveryTag, redelivered: redelivered, exchange: exchange, routingKey: routingKey)
            )
            self.channels[id] = state
        case .basic(.return(let code, let text, let exchange, let routingKey)):
            state.content = .awaitingHeader(.returned(replyCode: code, replyText: text, exchange: exchange, routingKey: routingKey))
            self.channels[id] = state
        case .basic(.getOk):
            guard case .reply(let promise)? = state.pending.first else { throw .protocolError("an unexpected basic.get-ok on channel \(id)") }
            state.pending.removeFirst()
            state.content = .awaitingHeader(.get(method: method, promise: promise))
            self.channels[id] = state
        case .basic(.ack(let tag, let multiple)):
            guard state.isConfirmMode else { throw .protocolError("basic.ack from the broker on channel \(id), which is not in confirm mode") }
            state.confirm(tag: tag, multiple: multiple, error: nil)
            self.channels[id] = state
        case .basic(.nack(let tag, let multiple, _)):
            guard state.isConfirmMode else { throw .protocolError("basic.nack from the broker on channel \(id), which is not in confirm mode") }
            state.confirm(tag: tag, multiple: multiple, error: AMQPError(.publishNacked, message: "the broker rejected the message (basic.nack)"))
            self.channels[id] = state
        case .basic(.cancel(let tag, _)):
            // consumer_cancel_notify: the queue went away (deleted, or its node failed).
            let consumer = state.consumers.removeValue(forKey: tag)
            self.channels[id] = state
            consumer?.finish(throwing: AMQPError(.consumerCancelled, message: "the broker cancelled consumer '\(tag)'"))
        default:
            try self.handleReply(method, state: &state, channel: id)
        }
    }

    /// A synchronous method's reply: it answers the oldest pending request on the channel.
    private func handleReply(_ method: AMQPMethod, state: inout AMQPChannelState, channel id: UInt16) throws(AMQPError) {
        guard let pending = state.pending.first else { throw .protocolError("an unexpected \(method.name) on channel \(id)") }
        switch (pending, method) {
        case (.open(let promise), .channel(.openOk)):
            state.pending.removeFirst()
            state.status = .open
            self.channels[id] = state
            promise.succeed(id)
        case (.reply(let promise), _) where Self.isReply(method):
            state.pending.removeFirst()
            if case .confirm(.selectOk) = method { state.isConfirmMode = true }
            var finished: AsyncThrowingStream<AMQPDelivery, any Error>.Continuation?
            if case .basic(.cancelOk(let tag)) = method { finished = state.consumers.removeValue(forKey: tag) }
            self.channels[id] = state
            finished?.finish()
            promise.succeed(AMQPReply(method: method, message: nil))
        default:
            throw .protocolError("an unexpected \(method.name) on channel \(id)")
        }
    }

    private static func isReply(_ method: AMQPMethod) -> Bool {
        switch method {
        case .exchange(.declareOk), .exchange(.deleteOk), .exchange(.bindOk), .exchange(.unbindOk),
            .queue(.declareOk), .queue(.bindOk), .queue(.unbindOk), .queue(.purgeOk), .queue(.deleteOk),
            .basic(.qosOk), .basic(.consumeOk), .basic(.cancelOk), .basic(.getEmpty), .basic(.recoverOk),
            .confirm(.selectOk):
            true
        default:
            false
        }
    }

    /// A message's content is complete: hand it to its consumer or its `basic.get`.
    func complete(_ owner: AMQPChannelState.ContentOwner, _ message: AMQPMessage, channel id: UInt16, context: ChannelHandlerContext) {
        switch owner {
        case .deliver(let consumerTag, let deliveryTag, let redelivered, let exchange, let routingKey):
            guard let state = self.channels[id], state.status == .open, let consumer = state.consumers[consumerTag] else {
                self.logger.debug("dropping a delivery for an unknown consumer", metadata: [AMQPLogging.channel: "\(id)", "amqp.consumer": "\(consumerTag)"])
                return
            }
            consumer.yield(
                AMQPDelivery(
                    consumerTag: consumerTag, deliveryTag: deliveryTag, redelivered: redelivered, exchange: exchange, routingKey: routingKey,
                    message: message, acknowledger: AMQPAcknowledger(channel: context.channel, channelID: id)
                )
            )
        case .get(let method, let promise):
            promise.succeed(AMQPReply(method: method, message: message))
        case .returned(let code, let text, let exchange, let routingKey):
            self.logger.debug(
                "the broker returned an unroutable message",
                metadata: ["amqp.reply": "\(code) \(text)", "amqp.exchange": "\(exchange)", "amqp.routing_key": "\(routingKey)"]
            )
        }
    }
}
