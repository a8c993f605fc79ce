import Synchronization

/// A FIFO queue shared by several async consumers: ``next()`` suspends until an item is pushed or the
/// queue is closed.
///
/// The queue can also bound how many items are out at once (the worker's pool size): ``next()`` hands an item
/// out only while fewer than ``limit`` are busy, and ``done()`` frees the slot. Items wait in the queue (where
/// ``snapshot()`` sees them) until a slot is free. Unbounded by default.
final class WorkQueue<Element: Sendable>: Sendable {
    private struct State {
        var items: [Element?] = []
        var head = 0
        var waiters: [(id: Int, continuation: CheckedContinuation<Element?, Never>)] = []
        var nextWaiterID = 0
        var closed = false
        var limit = Int.max
        var busy = 0

        var count: Int { items.count - head }
        var hasSlot: Bool { busy < limit }

        /// The next item when a slot is free, counted busy.
        mutating func take() -> Element? {
            guard hasSlot, let item = popFirst() else { return nil }
            busy += 1
            return item
        }

        /// Pairs queued items with waiting consumers while slots are free.
        mutating func handOut() -> [(CheckedContinuation<Element?, Never>, Element)] {
            var pairs: [(CheckedContinuation<Element?, Never>, Element)] = []
            while !waiters.isEmpty, hasSlot, let item = popFirst() {
                busy += 1
                pairs.append((waiters.removeFirst().continuation, item))
            }
            return pairs
        }

        mutating func popFirst() -> Element? {
            guard head < items.count else { return nil }
            let item = items[head]
            items[head] = nil
            head += 1
            if head > 64 && head * 2 > items.count {
                items.removeFirst(head)
                head = 0
            }
            return item
        }
    }

    private let state = Mutex(State())

    init() {}

    /// Creates a queue that hands out at most `limit` items at once (see ``done()``).
    init(limit: Int) {
        state.withLock { $0.limit = max(0, limit) }
    }

    /// Adds an item, handing it straight to a waiting consumer when there is one.
    /// - Returns: `false` when the queue is closed (the item was not added).
    @discardableResult
    func push(_ item: Element) -> Bool {
        let waiter: CheckedContinuation<Element?, Never>? = state.withLock { state in
            guard !state.closed else { return nil }
            if !state.waiters.isEmpty && state.hasSlot && state.count == 0 {
                state.busy += 1
                return state.waiters.removeFirst().continuation
            }
            state.items.append(item)
            return nil
        }
        waiter?.resume(returning: item)
        return waiter != nil || !isClosed
    }

    /// The next item, or `nil` once the queue is closed and empty, or the calling task is cancelled. With a
    /// ``limit``, it waits for a free slot too, and the item counts as busy until ``done()``.
    func next() async -> Element? {
        if Task.isCancelled { return nil }
        if let item = state.withLock({ $0.take() }) { return item }
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Element?, Never>) in
                let immediate: Element?? = state.withLock { state in
                    if let item = state.take() { return .some(item) }
                    if state.closed || Task.isCancelled { return .some(nil) }
                    state.waiters.append((id, continuation))
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Element?, Never>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            waiter?.resume(returning: nil)
        }
    }

    /// Frees the slot of an item ``next()`` handed out, handing a queued item to a waiting consumer.
    func done() {
        let pairs = state.withLock { state in
            state.busy = max(0, state.busy - 1)
            return state.handOut()
        }
        for (continuation, item) in pairs { continuation.resume(returning: item) }
    }

    /// The most items out at once (`Int.max`: unbounded).
    var limit: Int { state.withLock { $0.limit } }

    /// How many items are out now (handed out, not yet ``done()``).
    var busy: Int { state.withLock { $0.busy } }

    /// Changes the most items out at once; a larger limit hands queued items to waiting consumers at once, a
    /// smaller one lets the busy ones finish.
    func setLimit(_ limit: Int) {
        let pairs = state.withLock { state in
            state.limit = max(0, limit)
            return state.handOut()
        }
        for (continuation, item) in pairs { continuation.resume(returning: item) }
    }

    /// Removes and returns every queued item.
    func drain() -> [Element] {
        state.withLock { state in
            var items: [Element] = []
            while let item = state.popFirst() { items.append(item) }
            return items
        }
    }

    /// Closes the queue: waiting consumers get `nil` (queued items stay for ``drain()``); later pushes are
    /// refused.
    func close() {
        let waiters = state.withLock { state in
            state.closed = true
            let waiters = state.waiters
            state.waiters = []
            return waiters
        }
        for waiter in waiters { waiter.continuation.resume(returning: nil) }
    }

    /// Whether the queue was closed.
    var isClosed: Bool { state.withLock { $0.closed } }

    /// How many items wait.
    var count: Int { state.withLock { $0.count } }

    /// The waiting items, in order, left in place (for `inspect reserved`).
    func snapshot() -> [Element] {
        state.withLock { state in state.items[state.head...].compactMap { $0 } }
    }
}
