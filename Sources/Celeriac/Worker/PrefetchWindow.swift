import Synchronization

/// Counts the messages a worker holds unacked and lets the consumer wait until it may take more
/// (kombu's client-side prefetch: no fetch while `held >= limit`).
final class PrefetchWindow: Sendable {
    private struct State {
        var held = 0
        var limit: Int
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state: Mutex<State>

    init(limit: Int) {
        state = Mutex(State(limit: max(1, limit)))
    }

    /// The most messages held at once.
    var limit: Int { state.withLock { $0.limit } }

    /// Changes the most messages held at once (the pool grew or shrank). A larger window wakes the consumer;
    /// with a smaller one, the messages held over it are worked off before more are taken.
    func setLimit(_ limit: Int) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.limit = max(1, limit)
            guard state.held < state.limit, let waiter = state.waiter else { return nil }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// How many more messages may be taken now.
    var free: Int { state.withLock { max(0, $0.limit - $0.held) } }

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
            guard state.held < state.limit, let waiter = state.waiter else { return nil }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Suspends until at least one message may be taken, or ``wake()`` is called.
    func waitForRoom() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.held < state.limit { return true }
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
