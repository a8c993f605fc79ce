import Synchronization

/// Per-task token buckets, per worker, as Celery's rate limits (`"10/s"`, `"100/m"`, `"1000/h"`).
///
/// A bucket holds at most one second's worth of tokens (at least one), so a worker never bursts far
/// above the rate. Messages waiting for a token stay reserved (unacked), as in Celery.
final class RateLimiter: Sendable {
    private struct Bucket {
        var rate: Double
        var capacity: Double
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let buckets = Mutex<[String: Bucket]>([:])
    private let clock = ContinuousClock()

    init() {}

    /// Takes a token for `task` at `rate` tokens per second, returning how long to wait first
    /// (`.zero` when a token was available). Call again after waiting.
    func reserve(task: String, rate: Double) -> Duration {
        let now = clock.now
        return buckets.withLock { buckets in
            var bucket = buckets[task] ?? Bucket(rate: rate, capacity: max(1, rate), tokens: max(1, rate), updated: now)
            if bucket.rate != rate {
                bucket.rate = rate
                bucket.capacity = max(1, rate)
                bucket.tokens = min(bucket.tokens, bucket.capacity)
            }
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(bucket.capacity, bucket.tokens + seconds * rate)
            bucket.updated = now
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                buckets[task] = bucket
                return .zero
            }
            buckets[task] = bucket
            return .seconds((1 - bucket.tokens) / rate)
        }
    }

    /// Waits until a token for `task` is available and takes it.
    func acquire(task: String, rate: Double) async throws {
        while true {
            let wait = reserve(task: task, rate: rate)
            if wait == .zero { return }
            try await Task.sleep(for: wait)
        }
    }
}
