import Synchronization

/// Counts the messages a worker holds unacked and lets the consumer wait until it may take more
/// (kombu's client-side prefetch: no fetch while `held >= limit`).
final class PrefetchWindow: Sendable {
    private struct State {
        var held = 0
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())
    /// The most messages held at once.
    let limit: Int

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// How many more messages may be taken now.
    var free: Int { state.withLock { max(0, limit - $0.held) } }

    /// How many messages are held.
    var held: Int { state.withLock { $0.held } }

    /// Records `count` messages taken.
    func take(_ count: Int) {
        state.withLock { $0.held += count }
    }

    /// Records `count` messages released (acked, given back, or moved out of the window).
    func release(_ count: Int) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.held -= count
            guard state.held < limit, let waiter = state.waiter else { return nil }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Suspends until at least one message may be taken, or ``wake()`` is called.
    func waitForRoom() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.held < limit { return true }
                state.waiter = continuation
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Wakes a waiting consumer (used at shutdown).
    func wake() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            let waiter = state.waiter
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }
}
