import Celeriac
import CeleriacTesting
import Foundation
import Logging
import Testing

/// Publishing retries (Celery's `retry` / `retry_policy` on `apply_async`, kombu's `retry_over_time`).
@Suite("CeleriacApp: publishing retries")
struct PublishRetryTests {
    static func app(_ broker: FlakyBroker, _ configure: (inout CeleriacConfiguration) -> Void = { _ in }) -> CeleriacApp {
        var configuration = CeleriacConfiguration()
        configure(&configuration)
        return CeleriacApp(configuration: configuration, broker: broker, backend: nil, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    /// kombu 5.7's waits (`retry_over_time`: `min(v, interval_max)` for `v` in
    /// `fxrange(interval_start, interval_max + interval_start, interval_step, repeatlast=True)`), printed by the
    /// interop venv's kombu for these policies.
    @Test(arguments: [
        (PublishRetryPolicy(maxRetries: 10, intervalStart: 0, intervalStep: 0.2, intervalMax: 1), [0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.0, 1.0, 1.0, 1.0]),
        (PublishRetryPolicy(maxRetries: 10, intervalStart: 2, intervalStep: 2, intervalMax: 30), [2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0, 20.0]),
        (PublishRetryPolicy(maxRetries: 10, intervalStart: 0.05, intervalStep: 0.1, intervalMax: 0.2), [0.05, 0.15, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2]),
        (PublishRetryPolicy(maxRetries: 10, intervalStart: 1, intervalStep: 0.3, intervalMax: 1), [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
    ])
    func intervalsAreKombus(policy: PublishRetryPolicy, kombu: [Double]) {
        let ours = (0..<kombu.count).map { policy.interval(attempt: $0) }
        #expect(zip(ours, kombu).allSatisfy { abs($0 - $1) < 1e-9 }, "\(ours) vs kombu \(kombu)")
        #expect((14...20).map { PublishRetryPolicy(maxRetries: 30, intervalStart: 2, intervalStep: 2, intervalMax: 30).interval(attempt: $0) } == [30, 30, 30, 30, 30, 30, 30])
    }

    @Test func failedPublishesAreRetriedWithThePolicysWaits() async throws {
        let broker = FlakyBroker(failures: 3)
        let app = Self.app(broker)
        let policy = PublishRetryPolicy(maxRetries: 3, intervalStart: 0.05, intervalStep: 0.1, intervalMax: 0.2)
        let result = try await app.send(name: "tests.add", args: [1, 2], options: CallOptions(retry: true, retryPolicy: policy))
        #expect(broker.attempts.count == 4)
        let gaps = broker.gaps
        for (gap, wait) in zip(gaps, [0.05, 0.15, 0.2]) {
            #expect(gap >= wait - 0.002, "waited \(gaps), the policy says [0.05, 0.15, 0.2]")
            #expect(gap < wait + 3, "waited \(gaps)")
        }
        let published = try #require(broker.inner.published.last)
        #expect(broker.inner.published.count == 1)
        #expect(try published.message().headers.id == result.id)
        #expect(try published.message().args == [1, 2])
    }

    @Test func givesUpAfterMaxRetriesWithAClearError() async throws {
        let broker = FlakyBroker(failures: .max)
        let app = Self.app(broker)
        var options = CallOptions(queue: "emails", retry: true, retryPolicy: PublishRetryPolicy(maxRetries: 2, intervalStart: 0, intervalStep: 0.01, intervalMax: 0.01))
        options.taskID = "given-up"
        let error = await #expect(throws: CeleriacError.self) { try await app.send(name: "tests.add", args: [1, 2], options: options) }
        #expect(broker.attempts.count == 3)
        #expect(broker.inner.published.isEmpty)
        #expect(error?.code == .brokerFailure)
        #expect(error?.message.contains("after 3 attempts") == true, "\(String(describing: error))")
        #expect(error?.message.contains("max_retries 2") == true, "\(String(describing: error))")
        #expect(error?.taskID == "given-up")
        #expect(error?.taskName == "tests.add")
        #expect(error?.queue == "emails")
        #expect(error?.underlying as? FlakyBroker.Refused == FlakyBroker.Refused(attempt: 3))
    }

    @Test func aCeleriacErrorFromTheBrokerKeepsItsCode() async throws {
        let broker = FlakyBroker(failures: .max, failingWith: CeleriacError(.brokerFailure, "connection reset"))
        let app = Self.app(broker)
        let error = await #expect(throws: CeleriacError.self) {
            try await app.send(name: "t", options: CallOptions(retry: true, retryPolicy: PublishRetryPolicy(maxRetries: 1, intervalStart: 0, intervalStep: 0, intervalMax: 0)))
        }
        #expect(broker.attempts.count == 2)
        #expect(error?.code == .brokerFailure, "\(String(describing: error))")
        #expect((error?.underlying as? CeleriacError)?.message == "connection reset")
        #expect(error?.message.contains("after 2 attempts") == true, "\(String(describing: error))")
    }

    /// kombu retries only recoverable connection and channel errors: a refused configuration, a closed broker
    /// or a message too large fail at once, with the broker's own error.
    @Test(arguments: [CeleriacError.Code.invalidConfiguration, .closed, .messageTooLarge, .badArguments])
    func errorsThatARetryCannotFixAreNotRetried(code: CeleriacError.Code) async throws {
        let broker = FlakyBroker(failures: .max, failingWith: CeleriacError(code, "refused for good"))
        let app = Self.app(broker)
        let error = await #expect(throws: CeleriacError.self) {
            try await app.send(name: "t", options: CallOptions(retry: true, retryPolicy: PublishRetryPolicy(maxRetries: 3, intervalStart: 0, intervalStep: 0, intervalMax: 0)))
        }
        #expect(broker.attempts.count == 1)
        #expect(error?.code == code)
        #expect(error?.message == "refused for good")
    }

    @Test func retryFalsePublishesOnceAndThrowsTheBrokersError() async throws {
        let broker = FlakyBroker(failures: 1)
        let app = Self.app(broker)
        let error = await #expect(throws: FlakyBroker.Refused.self) {
            try await app.send(name: "tests.add", args: [1, 2], options: CallOptions(retry: false, retryPolicy: PublishRetryPolicy(maxRetries: 5)))
        }
        #expect(error == FlakyBroker.Refused(attempt: 1))
        #expect(broker.attempts.count == 1)
        #expect(broker.inner.published.isEmpty)
    }

    @Test func theConfigurationGivesTheDefaults() async throws {
        // task_publish_retry_policy applies when the call names no policy.
        let retried = FlakyBroker(failures: .max)
        let app = Self.app(retried) { $0.taskPublishRetryPolicy = PublishRetryPolicy(maxRetries: 1, intervalStart: 0, intervalStep: 0, intervalMax: 0) }
        await #expect(throws: CeleriacError.self) { try await app.send(name: "t") }
        #expect(retried.attempts.count == 2)
        // The call's policy wins over it.
        let overridden = FlakyBroker(failures: .max)
        let other = Self.app(overridden) { $0.taskPublishRetryPolicy = PublishRetryPolicy(maxRetries: 1, intervalStart: 0, intervalStep: 0, intervalMax: 0) }
        await #expect(throws: CeleriacError.self) {
            try await other.send(name: "t", options: CallOptions(retryPolicy: PublishRetryPolicy(maxRetries: 4, intervalStart: 0, intervalStep: 0, intervalMax: 0)))
        }
        #expect(overridden.attempts.count == 5)
        // task_publish_retry = false: one attempt, unless the call says retry.
        let single = FlakyBroker(failures: 1)
        let off = Self.app(single) { $0.taskPublishRetry = false }
        await #expect(throws: FlakyBroker.Refused.self) { try await off.send(name: "t") }
        #expect(single.attempts.count == 1)
        try await off.send(name: "t", options: CallOptions(retry: true))
        #expect(single.attempts.count == 2)
        #expect(single.inner.published.count == 1)
    }

    @Test func typedCallsRetryToo() async throws {
        let broker = FlakyBroker(failures: 2)
        let app = Self.app(broker)
        let result = try await app.applyAsync(MakeMessageTests.add, MakeMessageTests.Add(x: 2, y: 3), options: CallOptions(retryPolicy: PublishRetryPolicy(maxRetries: 2, intervalStart: 0, intervalStep: 0, intervalMax: 0)))
        #expect(broker.attempts.count == 3)
        #expect(try broker.inner.published.last?.message().headers.id == result.id)
    }
}
