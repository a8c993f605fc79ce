import Synchronization

/// A change counter that tasks can wait on: writers call ``notify()``, waiters sleep until the counter
/// moves past the value they read before looking at the database.
///
/// Reading ``generation`` *before* querying and waiting with ``wait(after:timeout:)`` *after* an empty
/// result means a change committed in between is never missed.
final class SQLiteChangeSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var nextWaiter: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    /// The number of changes signalled so far.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// Signals a change: every waiter wakes up.
    func notify() {
        let waiters = state.withLock { state in
            state.generation &+= 1
            defer { state.waiters = [:] }
            return state.waiters
        }
        for waiter in waiters.values { waiter.resume() }
    }

    /// Waits until a change after `generation` is signalled, `timeout` passes or the task is cancelled.
    func wait(after generation: UInt64, timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForChange(after: generation) }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForChange(after generation: UInt64) async {
        let id = state.withLock { state in
            state.nextWaiter &+= 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    // Cancellation is flagged before the handler runs, so checking it under the lock
                    // cannot miss a cancellation whose handler found no waiter to resume.
                    if state.generation != generation || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
