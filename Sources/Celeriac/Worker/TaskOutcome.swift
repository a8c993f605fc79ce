import Synchronization

/// How one run of a task ended.
enum TaskOutcome: Sendable {
    /// It returned a value.
    case success(JSONValue)
    /// It threw an error.
    case failure(any Error)
    /// It asked to be retried.
    case retry(TaskRetry)
    /// Its soft time limit passed and it ended with an error (usually the cancellation).
    case softTimeLimit(Double)
    /// Its hard time limit passed; it was abandoned.
    case hardTimeLimit(Double)
    /// The worker was cancelled (cold shutdown) while it ran.
    case cancelled
}

/// Runs a task body with Celery's soft and hard time limits.
///
/// Swift cannot kill a running task: a soft limit *cancels* it (every `await` on `Task.sleep`, I/O or
/// `Task.checkCancellation()` then throws, and the task may catch that to clean up); a hard limit stops
/// waiting for it, frees the slot and reports `TimeLimitExceeded`, while the abandoned body keeps its
/// cancellation flag and ends at its next suspension point. Code that blocks a thread without awaiting
/// cannot be interrupted by either.
enum TimeLimitRunner {
    static func run(soft: Double?, hard: Double?, body: @escaping @Sendable () async throws -> JSONValue) async -> TaskOutcome {
        guard soft != nil || hard != nil else {
            return await outcome { try await body() }
        }
        let race = Race()
        let finish: @Sendable (TaskOutcome) -> Void = { race.finish($0) }
        // Unstructured on purpose: a hard time limit must be able to stop waiting for a body that ignores
        // cancellation, which a child task of a group cannot do (the group would wait for it).
        let work = Task {
            let result = await outcome { try await body() }
            switch result {
            case .failure, .cancelled:
                if race.softFired.load(ordering: .acquiring), let soft {
                    finish(.softTimeLimit(soft))
                } else {
                    finish(result)
                }
            default:
                finish(result)
            }
        }
        let softTimer = soft.map { seconds in
            Task {
                try await Task.sleep(for: .seconds(seconds))
                race.softFired.store(true, ordering: .releasing)
                work.cancel()
            }
        }
        let hardTimer = hard.map { seconds in
            Task {
                try await Task.sleep(for: .seconds(seconds))
                // The outcome first: a body that honours the cancellation below must not win the race with
                // `.cancelled`, which the worker would take for a cold shutdown.
                finish(.hardTimeLimit(seconds))
                work.cancel()
            }
        }
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<TaskOutcome, Never>) in
                race.install(continuation)
            }
        } onCancel: {
            work.cancel()
            finish(.cancelled)
        }
        softTimer?.cancel()
        hardTimer?.cancel()
        return result
    }

    /// The first outcome wins: the body's end, a hard limit, or cancellation.
    private final class Race: Sendable {
        private struct State {
            var continuation: CheckedContinuation<TaskOutcome, Never>?
            var pending: TaskOutcome?
            var finished = false
        }

        private let state = Mutex(State())
        let softFired = Atomic<Bool>(false)

        func finish(_ outcome: TaskOutcome) {
            let continuation = state.withLock { state -> CheckedContinuation<TaskOutcome, Never>? in
                guard !state.finished else { return nil }
                state.finished = true
                guard let continuation = state.continuation else {
                    state.pending = outcome
                    return nil
                }
                state.continuation = nil
                return continuation
            }
            continuation?.resume(returning: outcome)
        }

        func install(_ continuation: CheckedContinuation<TaskOutcome, Never>) {
            let pending = state.withLock { state -> TaskOutcome? in
                if let pending = state.pending { return pending }
                state.continuation = continuation
                return nil
            }
            if let pending { continuation.resume(returning: pending) }
        }
    }

    private static func outcome(_ body: () async throws -> JSONValue) async -> TaskOutcome {
        do {
            return .success(try await body())
        } catch let retry as TaskRetry {
            return .retry(retry)
        } catch is CancellationError where Task.isCancelled {
            return .cancelled
        } catch {
            return .failure(error)
        }
    }
}
