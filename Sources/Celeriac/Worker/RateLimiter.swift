import Synchronization

/// Per-task token buckets, per worker, as Celery's rate limits (`"10/s"`, `"100/m"`, `"1000/h"`).
///
/// Celery's worker gives each rate-limited task a `TokenBucket(rate, capacity=1)`
/// (`Consumer.bucket_for_task`): one token at most, so after an idle spell one task starts at once and the
/// next ones are spaced `1/rate` apart; `"10/s"` never runs 10 tasks in a burst. This limiter does the same,
/// and hands out tokens in the order they were asked for (Celery's bucket is a FIFO of waiting requests):
/// ``reserve(task:rate:)`` books the next free token and says how long to wait for it. Messages waiting for
/// a token stay reserved (unacked), as in Celery.
final class RateLimiter: Sendable {
    private struct Bucket {
        var rate: Double
        /// When the next token is free; a time in the past means one token is waiting (capacity 1).
        var nextFree: ContinuousClock.Instant
    }

    private let buckets = Mutex<[String: Bucket]>([:])
    private let clock = ContinuousClock()

    init() {}

    /// Books the next token for `task` at `rate` tokens per second and returns how long to wait for it
    /// (`.zero` when one is free now). The token is taken: run the task after that wait, without asking again.
    func reserve(task: String, rate: Double) -> Duration {
        reserve(task: task, rate: rate, now: clock.now)
    }

    /// ``reserve(task:rate:)`` at a given time (tests drive the clock).
    func reserve(task: String, rate: Double, now: ContinuousClock.Instant) -> Duration {
        guard rate > 0, rate.isFinite else { return .zero }
        let interval = Duration.seconds(1 / rate)
        return buckets.withLock { buckets in
            var bucket = buckets[task] ?? Bucket(rate: rate, nextFree: now)
            if bucket.rate != rate {
                // A new rate (remote control `rate_limit`): the next token comes no later than one new
                // interval from now.
                bucket.rate = rate
                bucket.nextFree = min(bucket.nextFree, now + interval)
            }
            // Capacity 1: time spent idle does not accumulate more than the one token.
            let at = max(bucket.nextFree, now)
            bucket.nextFree = at + interval
            buckets[task] = bucket
            return at - now
        }
    }

    /// Waits for the next token of `task` and takes it.
    func acquire(task: String, rate: Double) async throws {
        let wait = reserve(task: task, rate: rate)
        if wait > .zero { try await Task.sleep(for: wait) }
    }
}
