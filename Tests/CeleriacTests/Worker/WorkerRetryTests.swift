import Celeriac
import CeleriacTesting
import Foundation
import Testing

@Suite("Worker: retries")
struct WorkerRetryTests {
    @Test func retryRepublishesSameIDAndStoresRetryThenSuccess() async throws {
        let h = WorkerHarness()
        let runs = Probe<Int>()
        h.app.registry.register(name: "tests.flaky") { _, _, context in
            runs.append(context.retries)
            if context.retries == 0 { try context.retry(countdown: 0) }
            return .int(context.retries)
        }
        let result = try await h.app.send(name: "tests.flaky", args: [7], options: CallOptions(queue: "work"))
        let value = try await h.withWorker(WorkerHarness.configuration(queues: ["work"])) { _ in
            try await result.get(timeout: .seconds(10))
        }
        #expect(value == .int(1))
        #expect(runs.all == [0, 1])
        #expect(h.backend.history(of: result.id) == [.retry, .success])

        let retryMeta = try #require(h.backend.metas(of: result.id).first)
        #expect(TaskError.stored(in: retryMeta)?.excType == "Retry")
        #expect(TaskError.stored(in: retryMeta)?.excModule == "celery.exceptions")
        #expect(retryMeta.dateDone == nil)
        #expect(h.backend.current(result.id)?.parentID == result.id)

        let messages = try h.publishedMessages(of: result.id)
        try #require(messages.count == 2)
        let retry = messages[1]
        #expect(retry.headers.id == result.id)
        #expect(retry.headers.retries == 1)
        #expect(retry.headers.parentID == result.id)
        #expect(retry.headers.rootID == result.id)
        #expect(retry.args == [7])
        #expect(h.broker.published.filter { $0.taskID == result.id }.map(\.queue) == ["work", "work"])
        #expect(retry.properties.routingKey == "work")
        let eta = try #require(retry.headers.eta.flatMap(CeleryTimestamp.parse))
        #expect(abs(eta.timeIntervalSinceNow) < 2)
        // Both deliveries (original and retry) are acked.
        #expect(h.broker.ackOrder == [result.id, result.id])
    }

    /// `self.retry()` with no countdown waits the task's `default_retry_delay`: its own, or Celery's 180 s
    /// default.
    @Test(arguments: [(Double?.some(30), 30.0), (nil, 180.0)])
    func retryWithoutCountdownUsesTheDefaultRetryDelay(_ taskDelay: Double?, expected: Double) async throws {
        let h = WorkerHarness()
        let options = taskDelay.map { TaskOptions(defaultRetryDelay: $0) } ?? TaskOptions()
        #expect(options.defaultRetryDelay == expected)
        h.app.registry.register(name: "tests.later", options: options) { _, _, context in
            try context.retry()
        }
        let result = try await h.app.send(name: "tests.later")
        let sentAt = Date()
        try await h.withWorker { _ in
            #expect(await eventually { h.backend.history(of: result.id).contains(.retry) })
            #expect(await eventually { h.broker.published.filter { $0.taskID == result.id }.count == 2 })
        }
        let messages = try h.publishedMessages(of: result.id)
        try #require(messages.count == 2)
        #expect(messages[1].headers.retries == 1)
        let eta = try #require(messages[1].headers.eta.flatMap(CeleryTimestamp.parse))
        let delay = eta.timeIntervalSince(sentAt)
        #expect(delay > expected - 1 && delay < expected + 10, "retry ETA \(delay) s after sending; expected about \(expected) s")
        let retryMeta = try #require(h.backend.metas(of: result.id).first { $0.status == .retry })
        #expect(TaskError.stored(in: retryMeta)?.excMessage == [.string("Retry in \(Int(expected))s")])
        // Held for its ETA, not run again: given back at shutdown.
        #expect(h.backend.history(of: result.id) == [.retry])
    }

    @Test func maxRetriesExceededFailsWithMaxRetriesExceededError() async throws {
        let h = WorkerHarness()
        let runs = Probe<Int>()
        h.app.registry.register(name: "tests.always", options: TaskOptions(maxRetries: 1)) { _, _, context in
            runs.append(context.retries)
            try context.retry(countdown: 0)
        }
        let result = try await h.app.send(name: "tests.always")
        _ = try await h.withWorker { _ in try await h.backend.waitForReady(taskID: result.id, timeout: .seconds(10)) }
        #expect(runs.all == [0, 1])
        #expect(h.backend.history(of: result.id) == [.retry, .failure])
        let error = try #require(TaskError.stored(in: h.backend.current(result.id)))
        #expect(error.excType == "MaxRetriesExceededError")
        #expect(error.excModule == "celery.exceptions")
        #expect(h.broker.published.filter { $0.taskID == result.id }.count == 2)
    }

    @Test func maxRetriesExceededFailsWithTheGivenError() async throws {
        let h = WorkerHarness()
        h.app.registry.register(name: "tests.never", options: TaskOptions(maxRetries: 0)) { _, _, context in
            try context.retry(countdown: 0, error: TaskError.valueError("boom"))
        }
        let result = try await h.app.send(name: "tests.never")
        _ = try await h.withWorker { _ in try await h.backend.waitForReady(taskID: result.id, timeout: .seconds(10)) }
        #expect(h.backend.history(of: result.id) == [.failure])
        #expect(TaskError.stored(in: h.backend.current(result.id)) == .valueError("boom"))
        // No retry message was sent.
        #expect(h.broker.published.filter { $0.taskID == result.id }.count == 1)
    }

    @Test func retryWithErrorStoresItInRetryState() async throws {
        let h = WorkerHarness()
        h.app.registry.register(name: "tests.flaky") { _, _, context in
            if context.retries == 0 { try context.retry(countdown: 0, error: TaskError.keyError("missing")) }
            return "ok"
        }
        let result = try await h.app.send(name: "tests.flaky")
        _ = try await h.withWorker { _ in try await result.get(timeout: .seconds(10)) }
        let retryMeta = try #require(h.backend.metas(of: result.id).first)
        #expect(retryMeta.status == .retry)
        #expect(TaskError.stored(in: retryMeta) == .keyError("missing"))
        #expect(retryMeta.traceback != nil)
    }

    @Test func maxRetriesOverrideOnTheCall() async throws {
        let h = WorkerHarness()
        let runs = Probe<Int>()
        // The task allows 3 retries; the call allows none.
        h.app.registry.register(name: "tests.override") { _, _, context in
            runs.append(context.retries)
            try context.retry(countdown: 0, maxRetries: .some(0))
        }
        let result = try await h.app.send(name: "tests.override")
        _ = try await h.withWorker { _ in try await h.backend.waitForReady(taskID: result.id, timeout: .seconds(10)) }
        #expect(runs.all == [0])
        #expect(TaskError.stored(in: h.backend.current(result.id))?.excType == "MaxRetriesExceededError")
    }

    @Test func autoretryWithBackoffPublishesRetryWithinBackoffWindow() async throws {
        let h = WorkerHarness()
        let options = TaskOptions(autoretryFor: TaskOptions.retrying(on: Flaky.self), retryBackoff: 2, retryJitter: false)
        h.app.registry.register(name: "tests.backoff", options: options) { _, _, _ in throw Flaky() }
        let sent = Date()
        let result = try await h.app.send(name: "tests.backoff")
        try await h.withWorker { _ in
            #expect(await h.broker.waitUntil { $0.published.count >= 2 })
            #expect(await h.backend.waitForState(.retry, of: result.id))
        }
        let messages = try h.publishedMessages(of: result.id)
        try #require(messages.count == 2)
        #expect(messages[1].headers.retries == 1)
        let eta = try #require(messages[1].headers.eta.flatMap(CeleryTimestamp.parse))
        // backoff 2 * 2^0 = 2 s, no jitter.
        #expect(eta.timeIntervalSince(sent) >= 1.9)
        #expect(eta.timeIntervalSinceNow <= 2.1)
        let retryMeta = try #require(h.backend.metas(of: result.id).first)
        #expect(TaskError.stored(in: retryMeta)?.excType == "Flaky")
        // The retry is held for its ETA, then given back at shutdown: it never ran a second time.
        #expect(h.backend.history(of: result.id) == [.retry])
    }

    @Test func autoretryBackoffIsCappedAndJittered() async throws {
        let h = WorkerHarness()
        let options = TaskOptions(autoretryFor: { $0 is Flaky }, retryBackoff: 8, retryBackoffMax: 1, retryJitter: true)
        h.app.registry.register(name: "tests.capped", options: options) { _, _, _ in throw Flaky() }
        let sent = Date()
        let result = try await h.app.send(name: "tests.capped")
        try await h.withWorker { _ in
            #expect(await h.broker.waitUntil { $0.published.count >= 2 })
        }
        let messages = try h.publishedMessages(of: result.id)
        // A jittered countdown of 0 runs the retry at once, which may retry again: look at the first retry.
        try #require(messages.count >= 2)
        #expect(messages[1].headers.retries == 1)
        let eta = try #require(messages[1].headers.eta.flatMap(CeleryTimestamp.parse))
        // min(1, 8 * 2^0) = 1 s, then a whole number of seconds in 0...1.
        #expect(eta.timeIntervalSince(sent) >= -0.1)
        #expect(eta.timeIntervalSinceNow <= 1.1)
    }

    @Test func autoretryIgnoresOtherErrors() async throws {
        let h = WorkerHarness()
        let options = TaskOptions(autoretryFor: TaskOptions.retrying(on: Flaky.self), retryBackoff: 1)
        h.app.registry.register(name: "tests.other", options: options) { _, _, _ in throw TaskError.valueError("no") }
        let result = try await h.app.send(name: "tests.other")
        _ = try await h.withWorker { _ in try await h.backend.waitForReady(taskID: result.id, timeout: .seconds(10)) }
        #expect(h.backend.history(of: result.id) == [.failure])
        #expect(h.broker.published.count == 1)
    }
}
