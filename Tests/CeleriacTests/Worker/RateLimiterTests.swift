@testable import Celeriac
import Testing

/// The worker's token buckets, driven with explicit instants: Celery's `TokenBucket(rate, capacity=1)`.
@Suite("Worker: rate limiter")
struct RateLimiterTests {
    /// Seconds of a duration, rounded to the microsecond so float noise does not matter.
    private static func seconds(_ duration: Duration) -> Double {
        let exact = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return (exact * 1e6).rounded() / 1e6
    }

    @Test(arguments: [("10/s", 0.1), ("100/m", 0.6), ("1000/h", 3.6)])
    func aBacklogIsSpacedOneIntervalApartWithNoBurst(_ text: String, interval: Double) throws {
        let rate = try RateLimit(text).tokensPerSecond
        let limiter = RateLimiter()
        let now = ContinuousClock.now
        // Ten messages arrive together: one token at once, then one every 1/rate (never a burst of `rate`).
        let waits = (0..<10).map { _ in Self.seconds(limiter.reserve(task: "t", rate: rate, now: now)) }
        let expected = (0..<10).map { (Double($0) * interval * 1e6).rounded() / 1e6 }
        #expect(waits == expected)
    }

    @Test(arguments: ["10/s", "100/m", "1000/h"])
    func idleTimeBanksOnlyOneToken(_ text: String) throws {
        let rate = try RateLimit(text).tokensPerSecond
        let interval = 1 / rate
        let limiter = RateLimiter()
        let start = ContinuousClock.now
        #expect(limiter.reserve(task: "t", rate: rate, now: start) == .zero)
        // Idle for 100 intervals: the bucket holds one token, not 100 (nor a second's worth).
        let later = start + .seconds(100 * interval)
        #expect(limiter.reserve(task: "t", rate: rate, now: later) == .zero)
        #expect(Self.seconds(limiter.reserve(task: "t", rate: rate, now: later)) == (interval * 1e6).rounded() / 1e6)
        // Half an interval later, two tokens are booked (at `later` and `later + interval`): the next one is
        // one and a half intervals away.
        let half = later + .seconds(interval / 2)
        #expect(Self.seconds(limiter.reserve(task: "t", rate: rate, now: half)) == (interval * 1.5 * 1e6).rounded() / 1e6)
    }

    @Test func tasksHaveSeparateBuckets() {
        let limiter = RateLimiter()
        let now = ContinuousClock.now
        #expect(limiter.reserve(task: "a", rate: 10, now: now) == .zero)
        #expect(limiter.reserve(task: "b", rate: 10, now: now) == .zero)
        #expect(Self.seconds(limiter.reserve(task: "a", rate: 10, now: now)) == 0.1)
        #expect(Self.seconds(limiter.reserve(task: "b", rate: 10, now: now)) == 0.1)
    }

    @Test func aNewRateTakesEffectWithinOneNewInterval() {
        let limiter = RateLimiter()
        let now = ContinuousClock.now
        // A backlog booked at 1/s, then the rate is raised to 10/s: the next token is 0.1 s away, not 5 s.
        for _ in 0..<5 { _ = limiter.reserve(task: "t", rate: 1, now: now) }
        #expect(Self.seconds(limiter.reserve(task: "t", rate: 10, now: now)) == 0.1)
        #expect(Self.seconds(limiter.reserve(task: "t", rate: 10, now: now)) == 0.2)
    }

    @Test func acquireWaitsForTheBookedToken() async throws {
        let limiter = RateLimiter()
        let begin = ContinuousClock.now
        for _ in 0..<3 { try await limiter.acquire(task: "t", rate: 20) }
        // Three tokens at 20/s: the first at once, the third 0.1 s after it.
        #expect((ContinuousClock.now - begin) >= .milliseconds(95))
    }
}
