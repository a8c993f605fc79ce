import Synchronization

/// Wakes tasks waiting for a fake's state to change, without polling.
///
/// A fake bumps ``version`` after every change. A waiter reads the version, checks its condition, then calls
/// ``wait(after:until:)`` with the version it read: when anything changed in between, the wait returns at
/// once, so no change is missed. Waits end on the next change, at the deadline, or on cancellation.
final class ChangeNotifier: Sendable {
    private struct State {
        var version: UInt64 = 0
        var nextID = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        /// Waiters woken (deadline, cancellation) before they suspended.
        var woken: Set<Int> = []
    }

    private let state = Mutex(State())

    init() {}

    /// The number of changes so far.
    var version: UInt64 { state.withLock { $0.version } }

    /// Records a change and wakes every waiter.
    func notify() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.version &+= 1
            let waiters = Array(state.waiters.values)
            state.waiters.removeAll()
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Suspends until the version moves past `version`, `deadline` passes, or the task is cancelled.
    func wait(after version: UInt64, until deadline: ContinuousClock.Instant?) async {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        await withTaskGroup(of: Void.self) { group in
            if let deadline {
                group.addTask {
                    do {
                        try await Task.sleep(until: deadline, clock: .continuous)
                    } catch {
                        return
                    }
                    self.wake(id)
                }
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state -> Bool in
                        if state.version != version || state.woken.remove(id) != nil || Task.isCancelled { return true }
                        state.waiters[id] = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                self.wake(id)
            }
            group.cancelAll()
        }
        state.withLock { _ = $0.woken.remove(id) }
    }

    /// Wakes one waiter, or marks it woken when it has not suspended yet.
    private func wake(_ id: Int) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
            state.woken.insert(id)
            return nil
        }
        waiter?.resume()
    }
}

/// Orders events across fakes: the broker's acks and the backend's stores share one sequence, so a test can
/// tell which came first.
enum EventSequence {
    private static let counter = Atomic<UInt64>(0)

    /// The next number, larger than every number handed out before.
    static func next() -> UInt64 {
        counter.wrappingAdd(1, ordering: .sequentiallyConsistent).newValue
    }
}
