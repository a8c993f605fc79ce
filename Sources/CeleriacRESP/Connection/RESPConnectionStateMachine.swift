import NIOCore

/// The pending requests of one RESP connection and what to do on each event, as a plain value.
///
/// Redis answers in order, so pending requests sit in a FIFO; a request expects one reply (``RequestKind/single``),
/// several (``RequestKind/pipeline(count:)``), or pub/sub confirmations (``RequestKind/subscription(_:count:)``).
/// Every event method returns an action for the channel handler to run. Generic over `Promise` so tests can
/// drive it with plain values.
struct RESPConnectionStateMachine<Promise> {
    /// What a request waits for.
    enum RequestKind: Hashable, Sendable {
        /// One reply; an error reply fails the request.
        case single
        /// `count` replies; error replies are returned among the values.
        case pipeline(count: Int)
        /// `count` confirmations of `operation`; `nil` waits until no subscription of that kind is left
        /// (an `UNSUBSCRIBE` with no arguments).
        case subscription(RESPPubSubOperation, count: Int?)
    }

    /// A request about to be written.
    struct Request: Sendable {
        var id: UInt64
        var kind: RequestKind
        var deadline: NIODeadline?
        /// Whether cancelling the request closes the connection (blocking commands) instead of discarding its reply.
        var closeOnCancel: Bool
    }

    enum WriteAction {
        case write
        case fail(Promise, RESPError)
    }

    enum ReadAction {
        case none
        case succeed(Promise, [RESPValue])
        case fail(Promise, RESPError)
        case message(RESPPubSubMessage)
        case push(RESPValue)
        case failAllAndClose([Promise], RESPError)
    }

    enum CancelAction {
        case none
        case fail(Promise, RESPError)
        case failAllAndClose(cancelled: Promise?, others: [Promise], RESPError)
    }

    enum TimerAction {
        case none
        case schedule(NIODeadline)
        case failAllAndClose([Promise], RESPError)
    }

    private struct Entry {
        var request: Request
        var promise: Promise?
    }

    private var pending = CircularBuffer<Entry>(initialCapacity: 16)
    /// Replies received so far for the request at the head of `pending`.
    private var headValues: [RESPValue] = []
    private var headConfirmations = 0
    private(set) var closedError: RESPError?
    /// Whether RESP2 arrays shaped like pub/sub frames are pub/sub frames (a subscriber connection).
    let isSubscriber: Bool
    private(set) var subscriptions = RESPSubscriptionSet()

    init(isSubscriber: Bool = false) {
        self.isSubscriber = isSubscriber
    }

    /// The number of requests waiting for replies, cancelled ones included.
    var pendingCount: Int { self.pending.count }

    mutating func write(_ request: Request, promise: Promise) -> WriteAction {
        if var error = self.closedError {
            error.wasNotSent = true
            return .fail(promise, error)
        }
        self.pending.append(Entry(request: request, promise: promise))
        return .write
    }

    mutating func read(_ value: RESPValue) -> ReadAction {
        guard self.closedError == nil else { return .none }
        let value = value.unwrappingAttributes
        switch value {
        case .push(let items):
            return self.readPubSub(items, frame: value)
        case .array(let items?) where self.isSubscriber && RESPPubSubOperation.isPubSubFrame(items):
            return self.readPubSub(items, frame: value)
        default:
            return self.readReply(value)
        }
    }

    private mutating func readReply(_ value: RESPValue) -> ReadAction {
        guard let head = self.pending.first else {
            return self.failAll(.protocolError("the server sent a reply no request was waiting for"))
        }
        switch head.request.kind {
        case .single:
            self.popHead()
            guard let promise = head.promise else { return .none }
            if case .error(let message) = value { return .fail(promise, .server(message)) }
            return .succeed(promise, [value])
        case .pipeline(let count):
            self.headValues.append(value)
            guard self.headValues.count >= count else { return .none }
            let values = self.headValues
            self.popHead()
            guard let promise = head.promise else { return .none }
            return .succeed(promise, values)
        case .subscription:
            guard case .error(let message) = value else {
                let error = RESPError(.unexpectedReply, message: "a \(value) reply where a pub/sub confirmation was due")
                return self.failAll(error)
            }
            self.popHead()
            guard let promise = head.promise else { return .none }
            return .fail(promise, .server(message))
        }
    }

    private mutating func readPubSub(_ items: [RESPValue], frame: RESPValue) -> ReadAction {
        guard let kind = items.first?.string?.lowercased() else { return .push(frame) }
        if let message = RESPPubSubMessage(kind: kind, items: items) {
            return .message(message)
        }
        if ["message", "pmessage", "smessage"].contains(kind) {
            return self.failAll(.protocolError("malformed \(kind) frame"))
        }
        guard let operation = RESPPubSubOperation(rawValue: kind) else { return .push(frame) }
        guard items.count == 3 else { return self.failAll(.protocolError("malformed \(kind) frame")) }
        self.subscriptions.apply(operation, name: items[1].string)
        guard let head = self.pending.first, case .subscription(let expected, let count) = head.request.kind,
            expected == operation
        else {
            return .none  // The server unsubscribed us on its own (sunsubscribe after a slot moved, ...).
        }
        self.headConfirmations += 1
        let done = count.map { self.headConfirmations >= $0 } ?? self.subscriptions.isEmpty(for: operation)
        guard done else { return .none }
        self.popHead()
        guard let promise = head.promise else { return .none }
        return .succeed(promise, [])
    }

    private mutating func popHead() {
        _ = self.pending.popFirst()
        self.headValues.removeAll(keepingCapacity: self.headValues.count <= 1024)
        self.headConfirmations = 0
    }

    mutating func cancel(id: UInt64) -> CancelAction {
        guard self.closedError == nil,
            let index = self.pending.firstIndex(where: { $0.request.id == id })
        else { return .none }
        let entry = self.pending[index]
        if entry.request.closeOnCancel {
            let error = RESPError(.connectionClosed, message: "connection closed after a blocking command was cancelled")
            self.closedError = error
            var others: [Promise] = []
            for other in self.pending where other.request.id != id {
                if let promise = other.promise { others.append(promise) }
            }
            self.pending.removeAll()
            return .failAllAndClose(cancelled: entry.promise, others: others, error)
        }
        guard let promise = entry.promise else { return .none }
        self.pending[index].promise = nil
        return .fail(promise, RESPError(.cancelled, message: "the awaiting task was cancelled"))
    }

    /// The timer fired at `now`: closes the connection if a request is overdue, otherwise names the next deadline.
    mutating func timerFired(now: NIODeadline) -> TimerAction {
        guard self.closedError == nil else { return .none }
        var next: NIODeadline?
        for entry in self.pending {
            guard let deadline = entry.request.deadline else { continue }
            if deadline <= now {
                let error = RESPError(.commandTimeout, message: "no reply within the command timeout; connection closed")
                self.closedError = error
                return .failAllAndClose(self.takeAllPromises(), error)
            }
            next = next.map { min($0, deadline) } ?? deadline
        }
        return next.map { .schedule($0) } ?? .none
    }

    /// The channel or decoder reported an error: every pending request fails with it.
    mutating func errorCaught(_ error: RESPError) -> ReadAction {
        guard self.closedError == nil else { return .none }
        return self.failAll(error)
    }

    /// The user closes the connection: every pending request fails.
    mutating func close() -> [Promise] {
        guard self.closedError == nil else { return [] }
        self.closedError = RESPError(.connectionClosed, message: "connection closed by the client")
        return self.takeAllPromises()
    }

    /// The channel went inactive: every pending request fails.
    mutating func channelInactive() -> (promises: [Promise], error: RESPError) {
        if let closedError { return ([], closedError) }
        let error = RESPError(.connectionClosed, message: "connection closed before the server replied")
        self.closedError = error
        return (self.takeAllPromises(), error)
    }

    private mutating func failAll(_ error: RESPError) -> ReadAction {
        self.closedError = error
        return .failAllAndClose(self.takeAllPromises(), error)
    }

    private mutating func takeAllPromises() -> [Promise] {
        let promises = self.pending.compactMap(\.promise)
        self.pending.removeAll()
        self.headValues = []
        self.headConfirmations = 0
        return promises
    }
}
