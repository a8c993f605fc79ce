import Synchronization

/// A FIFO queue shared by several async consumers: ``next()`` suspends until an item is pushed or the
/// queue is closed.
final class WorkQueue<Element: Sendable>: Sendable {
    private struct State {
        var items: [Element?] = []
        var head = 0
        var waiters: [(id: Int, continuation: CheckedContinuation<Element?, Never>)] = []
        var nextWaiterID = 0
        var closed = false

        var count: Int { items.count - head }

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

    /// Adds an item, handing it straight to a waiting consumer when there is one.
    /// - Returns: `false` when the queue is closed (the item was not added).
    @discardableResult
    func push(_ item: Element) -> Bool {
        let waiter: CheckedContinuation<Element?, Never>? = state.withLock { state in
            guard !state.closed else { return nil }
            if !state.waiters.isEmpty { return state.waiters.removeFirst().continuation }
            state.items.append(item)
            return nil
        }
        waiter?.resume(returning: item)
        return waiter != nil || !isClosed
    }

    /// The next item, or `nil` once the queue is closed and empty, or the calling task is cancelled.
    func next() async -> Element? {
        if Task.isCancelled { return nil }
        if let item = state.withLock({ $0.popFirst() }) { return item }
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Element?, Never>) in
                let immediate: Element?? = state.withLock { state in
                    if let item = state.popFirst() { return .some(item) }
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

    /// Removes and returns every queued item.
    func drain() -> [Element] {
        state.withLock { state in
            var items: [Element] = []
            while let item = state.popFirst() { items.append(item) }
            return items
        }
    }

    /// Closes the queue: waiting consumers get `nil`; later pushes are refused.
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
