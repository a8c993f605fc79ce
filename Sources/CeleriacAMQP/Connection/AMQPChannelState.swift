import NIOCore

/// What the handler knows about one open AMQP channel: replies it waits for (in order), consumers, a message being
/// reassembled from its header and body frames, and publisher confirms.
struct AMQPChannelState {
    enum Status {
        case opening
        case open
        case closing
    }

    /// A reply the channel waits for; the broker answers synchronous methods in the order they were sent.
    enum PendingReply {
        case open(EventLoopPromise<UInt16>)
        case reply(EventLoopPromise<AMQPReply>)
        case close(EventLoopPromise<Void>)
    }

    /// The method that announced the content being reassembled.
    enum ContentOwner {
        case deliver(consumerTag: String, deliveryTag: UInt64, redelivered: Bool, exchange: String, routingKey: String)
        case get(method: AMQPMethod, promise: EventLoopPromise<AMQPReply>)
        case returned(replyCode: UInt16, replyText: String, exchange: String, routingKey: String)
    }

    enum Content {
        case idle
        case awaitingHeader(ContentOwner)
        case awaitingBody(ContentOwner, AMQPProperties, body: ByteBuffer, remaining: UInt64)
    }

    var status: Status = .opening
    var pending: [PendingReply] = []
    var consumers: [String: AsyncThrowingStream<AMQPDelivery, any Error>.Continuation] = [:]
    var content: Content = .idle
    var isConfirmMode = false
    var nextPublishSequence: UInt64 = 1
    /// Publishes awaiting `basic.ack`/`basic.nack`, in sequence order.
    var unconfirmed: [(sequence: UInt64, promise: EventLoopPromise<Void>)] = []

    /// Settles confirms up to `tag` (`multiple`) or exactly `tag`.
    mutating func confirm(tag: UInt64, multiple: Bool, error: AMQPError?) {
        var settled: [EventLoopPromise<Void>] = []
        self.unconfirmed.removeAll { entry in
            guard multiple ? entry.sequence <= tag : entry.sequence == tag else { return false }
            settled.append(entry.promise)
            return true
        }
        for promise in settled {
            if let error { promise.fail(error) } else { promise.succeed(()) }
        }
    }

    /// Fails everything pending on the channel: replies, consumers, confirms, a `basic.get` awaiting its content.
    /// A pending `channel.close` succeeds, since the channel is closed either way.
    mutating func fail(_ error: AMQPError, finishConsumersCleanly: Bool = false) {
        for pending in self.pending {
            switch pending {
            case .open(let promise): promise.fail(error)
            case .reply(let promise): promise.fail(error)
            case .close(let promise): promise.succeed(())
            }
        }
        self.pending = []
        for consumer in self.consumers.values {
            if finishConsumersCleanly { consumer.finish() } else { consumer.finish(throwing: error) }
        }
        self.consumers = [:]
        for entry in self.unconfirmed { entry.promise.fail(error) }
        self.unconfirmed = []
        switch self.content {
        case .awaitingHeader(.get(_, let promise)), .awaitingBody(.get(_, let promise), _, _, _): promise.fail(error)
        default: break
        }
        self.content = .idle
    }
}
