import Celeriac
import CeleriacTesting
import Foundation
import Logging
import Synchronization
import Testing

/// ``Beat`` driven step by step with a manual clock, on the in-memory broker and beat store.
@Suite struct BeatTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)  // 2027-01-15T08:00:00Z, a whole minute

    func makeBeat(_ entries: [ScheduleEntry], store: InMemoryBeatStore, clock: ManualClock, broker: InMemoryBroker, holder: String, ttl: Duration = .seconds(10)) -> Beat {
        let app = CeleriacApp(broker: broker, backend: nil, logger: .quiet)
        return Beat(
            app: app, entries: entries, store: store, configuration: .init(holderID: holder, leaseTTL: ttl, maxInterval: .seconds(5)), logger: .quiet,
            now: { clock.now })
    }

    func every(_ seconds: Double, name: String = "add", queue: String = "beat") throws -> ScheduleEntry {
        ScheduleEntry(name: name, task: "tasks.add", args: [2, 3], options: CallOptions(queue: queue), schedule: try IntervalSchedule(seconds: seconds))
    }

    @Test func firstRunComesOneIntervalAfterStartThenEveryIntervalWithoutDrift() async throws {
        let clock = ManualClock(start)
        let store = InMemoryBeatStore { clock.now }
        let broker = InMemoryBroker()
        let beat = makeBeat([try every(10)], store: store, clock: clock, broker: broker, holder: "a")
        let wake = try await beat.step()
        #expect(broker.published.isEmpty, "a new entry counts as just run, as in Celery")
        #expect(wake <= start.addingTimeInterval(10))
        for second in 1...35 {
            clock.advance(1.0 + (second % 3 == 0 ? 0.2 : 0))  // late wake-ups must not shift the ticks
            try await beat.step()
        }
        #expect(broker.published.count == 3)
        let ticks = store.state.withLock { $0.claims.map(\.state.tick) }
        let base = Int64(start.timeIntervalSince1970 * 1000)
        #expect(ticks == [base, base + 10_000, base + 20_000, base + 30_000], "the seed, then one claim per 10 s tick on the grid")
        let message = try TaskMessage(envelope: try #require(broker.published.first).envelope)
        #expect(message.headers.task == "tasks.add" && message.args == [2, 3])
        #expect(message.headers.extra["periodic_task_name"] == .string("add"), "django-celery-beat's header, for django-celery-results")
        #expect(broker.published.allSatisfy { $0.queue == "beat" })
        #expect(Set(broker.published.compactMap(\.taskID)).count == 3)
    }

    @Test func missedTicksAfterDowntimeRunOnce() async throws {
        let clock = ManualClock(start)
        let store = InMemoryBeatStore { clock.now }
        let broker = InMemoryBroker()
        let first = makeBeat([try every(10)], store: store, clock: clock, broker: broker, holder: "a", ttl: .seconds(3))
        try await first.step()
        clock.advance(10)
        try await first.step()
        #expect(broker.published.count == 1)
        // The beat is gone for 95 s (9 ticks missed); a restarted one runs the entry once, then every 10 s from now.
        clock.advance(95)
        let second = makeBeat([try every(10)], store: store, clock: clock, broker: broker, holder: "b", ttl: .seconds(3))
        try await second.step()
        #expect(broker.published.count == 2, "a missed interval runs once at start, not 9 times")
        clock.advance(9.9)
        try await second.step()
        #expect(broker.published.count == 2)
        clock.advance(0.1)
        try await second.step()
        #expect(broker.published.count == 3)
    }

    @Test func onlyTheLeaseHolderSendsAndAStandbyTakesOverWhenItStops() async throws {
        let clock = ManualClock(start)
        let store = InMemoryBeatStore { clock.now }
        let broker = InMemoryBroker()
        let a = makeBeat([try every(1)], store: store, clock: clock, broker: broker, holder: "a", ttl: .seconds(3))
        let b = makeBeat([try every(1)], store: store, clock: clock, broker: broker, holder: "b", ttl: .seconds(3))
        try await a.step()
        try await b.step()
        let aHolds = await a.isHolder, bHolds = await b.isHolder
        #expect(aHolds && !bHolds)
        for _ in 0..<10 {
            clock.advance(1)
            try await a.step()
            try await b.step()
        }
        #expect(broker.published.count == 10)
        // A dies without releasing: B waits out the lease (3 s), then runs the missed ticks once and carries on.
        for _ in 0..<10 {
            clock.advance(1)
            try await b.step()
        }
        #expect(await b.isHolder)
        let claims = store.state.withLock { $0.claims }
        #expect(Set(claims.map(\.state.tick)).count == claims.count, "no tick is claimed twice")
        #expect(broker.published.count == claims.count - 1, "one message per claimed tick (the first claim is the seed)")
        #expect(broker.published.count >= 16 && broker.published.count <= 18, "\(broker.published.count)")
        // A clean stop releases the lease: the other takes over on its next step.
        await b.resign()
        try await a.step()
        #expect(await a.isHolder)
    }

    @Test func aNewHolderResendsAClaimedButUnsentTickWithTheSameTaskID() async throws {
        let clock = ManualClock(start)
        let store = InMemoryBeatStore { clock.now }
        let broker = InMemoryBroker()
        let base = Int64(start.timeIntervalSince1970 * 1000)
        // Holder "dead" claimed the tick at +10 s and died before publishing it.
        store.state.withLock { state in
            state.holder = "dead"
            state.expiresAt = start.addingTimeInterval(11)
            state.entries["add"] = BeatEntryState(tick: base + 10_000, lastRun: base + 10_000, taskID: "claimed-id", sent: false)
        }
        clock.advance(12)
        let beat = makeBeat([try every(10)], store: store, clock: clock, broker: broker, holder: "b")
        try await beat.step()
        #expect(broker.published.map(\.taskID) == ["claimed-id"], "re-sent under the id of the claim")
        #expect(store.state.withLock { $0.entries["add"]?.sent } == true)
        clock.advance(8)
        try await beat.step()
        #expect(broker.published.count == 2, "then the +20 s tick")
    }

    @Test func aStaleHolderCannotClaim() async throws {
        let clock = ManualClock(start)
        let store = InMemoryBeatStore { clock.now }
        let broker = InMemoryBroker()
        let a = makeBeat([try every(1)], store: store, clock: clock, broker: broker, holder: "a", ttl: .seconds(2))
        try await a.step()
        // Another holder took the lease while A was paused (A still believes it holds it).
        store.state.withLock { $0.holder = "other"; $0.expiresAt = clock.now.addingTimeInterval(60) }
        clock.advance(1)
        try await a.step()
        #expect(broker.published.isEmpty, "the claim checks the lease atomically")
        #expect(store.state.withLock { $0.claims.count } == 1, "only the seed was claimed")
        let holds = await a.isHolder
        try await a.step()
        let stillHolds = await a.isHolder
        #expect(!holds || !stillHolds, "A learns it lost the lease")
    }

    @Test func crontabEntriesFireOnTheMinute() async throws {
        let clock = ManualClock(start.addingTimeInterval(30))  // 08:00:30Z
        let store = InMemoryBeatStore { clock.now }
        let broker = InMemoryBroker()
        let entry = ScheduleEntry(name: "cron", task: "tasks.noop", schedule: try Crontab(minute: "*/2", timeZone: zone("Asia/Seoul")))
        let beat = makeBeat([entry], store: store, clock: clock, broker: broker, holder: "a")
        let wake = try await beat.step()
        #expect(wake <= start.addingTimeInterval(120))
        for _ in 0..<10 {
            clock.advance(30)
            try await beat.step()
        }
        // 08:00:30 -> 08:05:30: ticks at 08:02 and 08:04.
        #expect(broker.published.count == 2)
    }
}
