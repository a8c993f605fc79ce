import Celeriac
import Synchronization
import Testing

@Suite("Task options")
struct TaskOptionsTests {
    /// Celery's `get_exponential_backoff_interval(factor, retries, maximum, full_jitter=False)`:
    /// `min(maximum, factor * 2 ** retries)`.
    @Test(arguments: [
        (1.0, [1.0, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600]),
        (2.0, [2.0, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]),
    ])
    func exponentialBackoffCappedAtMax(factor: Double, expected: [Double]) {
        let options = TaskOptions(retryBackoff: factor, retryBackoffMax: 600, retryJitter: false)
        let countdowns = (0...10).map { options.autoretryCountdown(retries: $0) }
        #expect(countdowns == expected)
    }

    @Test func smallMaximum() {
        let options = TaskOptions(retryBackoff: 3, retryBackoffMax: 10, retryJitter: false)
        #expect((0...4).map { options.autoretryCountdown(retries: $0) } == [3, 6, 10, 10, 10])
    }

    @Test func hugeRetryCountsDoNotOverflow() {
        let options = TaskOptions(retryBackoff: 1, retryBackoffMax: 600, retryJitter: false)
        #expect(options.autoretryCountdown(retries: 100) == 600)
        #expect(options.autoretryCountdown(retries: Int.max) == 600)
    }

    @Test func jitterDrawsAWholeNumberUpToTheCountdown() {
        let options = TaskOptions(retryBackoff: 2, retryBackoffMax: 600, retryJitter: true)
        let ranges = Mutex<[ClosedRange<Int>]>([])
        let top = options.autoretryCountdown(retries: 3) { range in
            ranges.withLock { $0.append(range) }
            return range.upperBound
        }
        let bottom = options.autoretryCountdown(retries: 3) { range in
            ranges.withLock { $0.append(range) }
            return range.lowerBound
        }
        let middle = options.autoretryCountdown(retries: 10) { _ in 7 }
        #expect(top == 16)
        #expect(bottom == 0)
        #expect(middle == 7)
        #expect(ranges.withLock { $0 } == [0...16, 0...16])
    }

    @Test func jitterWithTheDefaultRandomStaysInRange() {
        let options = TaskOptions(retryBackoff: 1, retryBackoffMax: 5, retryJitter: true)
        for _ in 0..<50 {
            let value = options.autoretryCountdown(retries: 4)
            #expect((0...5).contains(value))
            #expect(value == value.rounded())
        }
    }

    @Test func noBackoffUsesTheDefaultRetryDelay() {
        #expect(TaskOptions().autoretryCountdown(retries: 5) == 180)
        #expect(TaskOptions(defaultRetryDelay: 7).autoretryCountdown(retries: 0) == 7)
    }

    @Test func celeryDefaults() {
        let options = TaskOptions()
        #expect(options.maxRetries == 3)
        #expect(options.defaultRetryDelay == 180)
        #expect(options.retryBackoffMax == 600)
        #expect(options.retryJitter)
        #expect(options.acksLate == nil)
        #expect(options.autoretryFor == nil)
    }

    @Test func retryingMatchesTheErrorType() {
        struct A: Error {}
        struct B: Error {}
        let matches = TaskOptions.retrying(on: A.self)
        #expect(matches(A()))
        #expect(!matches(B()))
    }
}
