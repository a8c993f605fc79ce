import Synchronization

/// Collects acknowledgements so the worker sends them to the broker in batches: one waiting flusher takes
/// everything that piled up while the previous batch was in flight.
final class AckBuffer: Sendable {
    private struct State {
        var tags: [DeliveryTag] = []
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    init() {}

    /// Adds a tag to the next batch.
    func append(_ tag: DeliveryTag) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.tags.append(tag)
            let waiter = state.waiter
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// How many tags are pending.
    var count: Int { state.withLock { $0.tags.count } }

    /// Takes the pending tags.
    func take() -> [DeliveryTag] {
        state.withLock { state in
            let tags = state.tags
            state.tags = []
            return tags
        }
    }

    /// Waits until there is something to flush or the calling task is cancelled.
    func waitForTags() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if !state.tags.isEmpty || Task.isCancelled { return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                let waiter = state.waiter
                state.waiter = nil
                return waiter
            }
            waiter?.resume()
        }
    }
}
