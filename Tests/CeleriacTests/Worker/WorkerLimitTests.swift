import Celeriac
import CeleriacTesting
import Foundation
import Testing

@Suite("Worker: rate and time limits")
struct WorkerLimitTests {
    @Test func rateLimitSpreadsTasksAndKeepsWaitingMessagesUnacked() async throws {
        let h = WorkerHarness()
        let starts = Probe<ContinuousClock.Instant>()
        h.app.registry.register(name: "tests.limited", options: TaskOptions(rateLimit: "10/s")) { _, _, _ in
            starts.append(.now)
            return .null
        }
        var ids: [String] = []
        for _ in 0..<20 { ids.append(try await h.app.send(name: "tests.limited").id) }
        let begin = ContinuousClock.now
        try await h.withWorker(WorkerHarness.configuration(concurrency: 2)) { _ in
            #expect(await starts.waitForCount(20, timeout: .seconds(20)))
        }
        let elapsed = ContinuousClock.now - begin
        // Celery's bucket holds one token: one task at once, then one every 0.1 s (no burst of 10), so the
        // 20th starts about 1.9 s in.
        let sorted = starts.all.sorted()
        let spread = try #require(sorted.last) - begin
        #expect(spread.seconds >= 1.6, "20 tasks at 10/s took only \(spread)")
        #expect(elapsed.seconds < 20)
        let first = try #require(sorted.first)
        let early = sorted.filter { ($0 - first).seconds < 0.5 }.count
        #expect(early <= 7, "\(early) of 20 tasks at 10/s started within 0.5 s of the first: a burst")

        // Every message was received once, never given back, and acked only when it started: those that
        // waited for a token stayed unacked meanwhile.
        #expect(h.broker.givenBack.isEmpty)
        #expect(h.broker.events(.received).count == 20)
        var waits: [Double] = []
        for id in ids {
            let events = h.broker.events(taskID: id)
            let received = try #require(events.first { $0.kind == .received })
            let acked = try #require(events.first { $0.kind == .acked })
            waits.append((acked.time - received.time).seconds)
        }
        #expect(waits.filter { $0 >= 0.2 }.count >= 3, "waits between receive and ack: \(waits)")
    }

    @Test func softTimeLimitFailsWithSoftTimeLimitExceeded() async throws {
        let h = WorkerHarness()
        h.app.registry.register(name: "tests.sleepy", options: TaskOptions(softTimeLimit: 0.2)) { _, _, _ in
            try await Task.sleep(for: .seconds(5))
            return "woke"
        }
        let result = try await h.app.send(name: "tests.sleepy")
        let begin = ContinuousClock.now
        let meta = try await h.withWorker { _ in try await h.backend.waitForReady(taskID: result.id, timeout: .seconds(10)) }
        #expect((ContinuousClock.now - begin).seconds < 4.5)
        #expect(meta?.status == .failure)
        #expect(meta?.result == .object(["exc_type": "SoftTimeLimitExceeded", "exc_message": [], "exc_module": "billiard.exceptions"]))
        #expect(meta?.traceback != nil)
    }

    @Test func softTimeLimitFromTheTimelimitHeader() async throws {
        let h = WorkerHarness()
        h.app.registry.register(name: "tests.sleepy") { _, _, _ in
            try await Task.sleep(for: .seconds(5))
            return "woke"
        }
        let result = try await h.app.send(name: "tests.sleepy", options: CallOptions(softTimeLimit: 0.2))
        let meta = try await h.withWorker { _ in try await h.backend.waitForReady(taskID: result.id, timeout: .seconds(10)) }
        #expect(TaskError.stored(in: meta)?.excType == "SoftTimeLimitExceeded")
    }

    @Test func hardTimeLimitFromTheCallFailsWithTimeLimitExceededAsCeleryStoresIt() async throws {
        let h = WorkerHarness()
        // Honours cancellation: the hard limit must still end it as TimeLimitExceeded, not as a shutdown.
        h.app.registry.register(name: "tests.sleepy") { _, _, _ in
            try await Task.sleep(for: .seconds(10))
            return "woke"
        }
        let result = try await h.app.send(name: "tests.sleepy", options: CallOptions(timeLimit: 1))
        let sent = try #require(try h.publishedMessages(of: result.id).first)
        #expect(sent.headers.timeLimit == 1)
        let begin = ContinuousClock.now
        let meta = try await h.withWorker { _ in try await h.backend.waitForReady(taskID: result.id, timeout: .seconds(10)) }
        #expect((ContinuousClock.now - begin).seconds < 8)
        #expect(meta?.status == .failure)
        #expect(meta?.traceback == nil)
        let error = try #require(TaskError.stored(in: meta))
        #expect(error.excType == "TimeLimitExceeded")
        #expect(error.excModule == "billiard.exceptions")
        // Celery 5.7 (vector b12) stores `[1]` for `time_limit=1`, not `[1.0]`.
        #expect(JSONValue.array(error.excMessage).serialized(.python) == "[1]")
        #expect(h.broker.isAcked(taskID: result.id))
    }

    @Test func timeLimitErrorsAreStoredAsCelery57StoresThem() {
        #expect(TaskError.timeLimitExceeded(seconds: 1).json() == ["exc_type": "TimeLimitExceeded", "exc_message": [1], "exc_module": "billiard.exceptions"])
        #expect(JSONValue.array(TaskError.timeLimitExceeded(seconds: 2.5).excMessage).serialized(.python) == "[2.5]")
        #expect(SoftTimeLimitExceeded(seconds: 1).taskError.json() == ["exc_type": "SoftTimeLimitExceeded", "exc_message": [], "exc_module": "billiard.exceptions"])
    }

    @Test func softTimeLimitCaughtByTheTaskSucceeds() async throws {
        let h = WorkerHarness()
        h.app.registry.register(name: "tests.careful", options: TaskOptions(softTimeLimit: 0.2)) { _, _, _ in
            do {
                try await Task.sleep(for: .seconds(5))
                return "woke"
            } catch {
                return "cleaned up"
            }
        }
        let result = try await h.app.send(name: "tests.careful")
        let value = try await h.withWorker { _ in try await result.get(timeout: .seconds(10)) }
        #expect(value == "cleaned up")
    }

    @Test func hardTimeLimitAbandonsTheTaskAndFreesTheSlot() async throws {
        let h = WorkerHarness()
        let stop = Flag()
        defer { stop.set() }
        let stubbornFinished = Flag()
        let quickSawStubbornRunning = Probe<Bool>()
        h.app.registry.register(name: "tests.stubborn", options: TaskOptions(timeLimit: 0.2)) { _, _, _ in
            // Ignores cancellation; ends on its own after 2 s (or when the test is over).
            let deadline = ContinuousClock.now + .seconds(2)
            while ContinuousClock.now < deadline && !stop.isSet {
                await Task.yield()
            }
            stubbornFinished.set()
            return "late"
        }
        h.app.registry.register(name: "tests.quick") { _, _, _ in
            quickSawStubbornRunning.append(!stubbornFinished.isSet)
            return "quick"
        }
        let stubborn = try await h.app.send(name: "tests.stubborn")
        let quick = try await h.app.send(name: "tests.quick")
        let begin = ContinuousClock.now
        try await h.withWorker(WorkerHarness.configuration(concurrency: 1)) { _ in
            _ = try await h.backend.waitForReady(taskID: stubborn.id, timeout: .seconds(10))
            #expect(try await quick.get(timeout: .seconds(10)) == .string("quick"))
        }
        _ = begin  // the slot was freed: quick ran while stubborn still spun (checked below), whatever the load
        let meta = try #require(h.backend.current(stubborn.id))
        #expect(meta.status == .failure)
        #expect(meta.result == .object(["exc_type": "TimeLimitExceeded", "exc_message": [0.2], "exc_module": "billiard.exceptions"]))
        #expect(meta.traceback == nil)
        // With -c 1 the quick task ran while the abandoned body was still spinning.
        #expect(quickSawStubbornRunning.all == [true])
    }
}
