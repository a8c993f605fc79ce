import Celeriac
import CeleriacSQLite
import Foundation
import Logging
import Testing

/// ``SQLiteBeatStore`` on a real file, with two stores (two "processes") on it.
@Suite struct SQLiteBeatStoreTests {
    func withStores(_ body: (SQLiteBeatStore, SQLiteBeatStore, TemporaryDatabase) async throws -> Void) async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let a = try await SQLiteBeatStore(path: database.path)
        let b = try await SQLiteBeatStore(path: database.path)
        do {
            try await body(a, b, database)
        } catch {
            await a.close()
            await b.close()
            throw error
        }
        await a.close()
        await b.close()
    }

    @Test func oneHolderAtATimeRenewReleaseAndExpiry() async throws {
        try await withStores { (a, b, _) async throws in
            #expect(try await a.acquireLease(holder: "a", ttl: .milliseconds(1500)))
            #expect(try await false == b.acquireLease(holder: "b", ttl: .milliseconds(1500)))
            #expect(try await b.leaseHolder() == "a")
            #expect(try await a.acquireLease(holder: "a", ttl: .milliseconds(1500)), "the holder may acquire again (renews)")
            #expect(try await a.renewLease(holder: "a", ttl: .milliseconds(1500)))
            #expect(try await false == b.renewLease(holder: "b", ttl: .seconds(10)), "only the holder renews")
            try await b.releaseLease(holder: "b")
            #expect(try await a.leaseHolder() == "a", "only the holder releases")
            try await Task.sleep(for: .milliseconds(1800))
            #expect(try await a.leaseHolder() == nil, "expired")
            #expect(try await false == a.renewLease(holder: "a", ttl: .seconds(10)), "an expired lease cannot be renewed")
            #expect(try await b.acquireLease(holder: "b", ttl: .seconds(10)))
            #expect(try await false == a.acquireLease(holder: "a", ttl: .seconds(10)))
            try await b.releaseLease(holder: "b")
            #expect(try await a.acquireLease(holder: "a", ttl: .seconds(10)), "a released lease is free at once")
        }
    }

    @Test func claimsAreCompareAndSetUnderTheLease() async throws {
        try await withStores { (a, b, _) async throws in
            #expect(try await a.acquireLease(holder: "a", ttl: .seconds(10)))
            let seed = BeatEntryState(tick: 1000, lastRun: 1000, taskID: "", sent: true)
            #expect(try await a.claim(entry: "e", expectedTick: nil, next: seed, holder: "a"))
            #expect(try await false == a.claim(entry: "e", expectedTick: nil, next: seed, holder: "a"), "seeding twice fails")
            let next = BeatEntryState(tick: 2000, lastRun: 2000, taskID: "t1", sent: false)
            #expect(try await false == b.claim(entry: "e", expectedTick: 1000, next: next, holder: "b"), "not the holder")
            #expect(try await a.claim(entry: "e", expectedTick: 1000, next: next, holder: "a"))
            #expect(try await false == a.claim(entry: "e", expectedTick: 1000, next: next, holder: "a"), "the same tick is claimed once")
            #expect(try await b.states(for: ["e", "other"]) == ["e": next])
            #expect(try await false == b.markSent(entry: "e", tick: 2000, holder: "b"))
            #expect(try await false == a.markSent(entry: "e", tick: 1000, holder: "a"), "an older tick")
            #expect(try await a.markSent(entry: "e", tick: 2000, holder: "a"))
            #expect(try await b.states(for: ["e"])["e"]?.sent == true)
        }
    }

    @Test func concurrentClaimsFromTwoConnectionsGiveOneWinner() async throws {
        try await withStores { (a, b, _) async throws in
            #expect(try await a.acquireLease(holder: "h", ttl: .seconds(10)))
            #expect(try await a.claim(entry: "e", expectedTick: nil, next: BeatEntryState(tick: 0, lastRun: 0, taskID: "", sent: true), holder: "h"))
            // Both connections race on ticks 1...50 with the same holder id: each tick must go to exactly one.
            var wins = 0
            for tick in Int64(1)...50 {
                let next = BeatEntryState(tick: tick, lastRun: tick, taskID: "\(tick)", sent: false)
                async let first = a.claim(entry: "e", expectedTick: tick - 1, next: next, holder: "h")
                async let second = b.claim(entry: "e", expectedTick: tick - 1, next: next, holder: "h")
                let results = try await [first, second]
                #expect(results.filter { $0 }.count == 1, "tick \(tick): \(results)")
                wins += results.filter { $0 }.count
            }
            #expect(wins == 50)
        }
    }

    @Test func twoBeatsOnOneFileSendEachTickOnceAcrossAFailover() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let broker = try await SQLiteBroker(path: database.path)
        let app = CeleriacApp(broker: broker, backend: nil)
        let entry = ScheduleEntry(name: "tick", task: "tasks.noop", options: CallOptions(queue: "beat"), schedule: try IntervalSchedule(seconds: 0.2))
        let storeA = try await SQLiteBeatStore(path: database.path)
        let storeB = try await SQLiteBeatStore(path: database.path)
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let a = Beat(app: app, entries: [entry], store: storeA, configuration: .init(holderID: "a", leaseTTL: .milliseconds(1500)), logger: quiet)
        let b = Beat(app: app, entries: [entry], store: storeB, configuration: .init(holderID: "b", leaseTTL: .milliseconds(1500)), logger: quiet)
        let runA = Task { try await a.run() }
        try await Task.sleep(for: .milliseconds(100))
        let runB = Task { try await b.run() }
        try await Task.sleep(for: .seconds(2))
        runA.cancel()  // A stops (releases the lease); B takes over
        _ = try? await runA.value
        try await Task.sleep(for: .seconds(2))
        runB.cancel()
        _ = try? await runB.value
        let messages = try await broker.receive(from: ["beat"], limit: 1000, timeout: .milliseconds(100))
        let state = try await storeA.states(for: ["tick"])["tick"]
        let ids = messages.compactMap { try? TaskMessage(envelope: $0.envelope).headers.id }
        #expect(Set(ids).count == ids.count, "no tick sent twice")
        #expect(ids.count >= 6 && ids.count <= 21, "about 4 s of 0.2 s ticks (fewer when the machine is loaded: late ticks run once): \(ids.count)")
        #expect(state?.sent == true && ids.contains(state?.taskID ?? "-"), "the last claimed tick was sent")
        await storeA.close()
        await storeB.close()
        await broker.close()
    }

    /// A holder that claimed a tick and died before publishing it (the crash window between claim and send):
    /// the next holder publishes the tick, under the task id of the claim, and records it as sent.
    @Test func aNewHolderResendsTheTickADeadHolderClaimed() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let broker = try await SQLiteBroker(path: database.path)
        let dead = try await SQLiteBeatStore(path: database.path)
        let live = try await SQLiteBeatStore(path: database.path)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        #expect(try await dead.acquireLease(holder: "dead", ttl: .milliseconds(1500)))
        #expect(try await dead.claim(entry: "e", expectedTick: nil, next: BeatEntryState(tick: now - 5000, lastRun: now - 5000, taskID: "", sent: true), holder: "dead"))
        #expect(try await dead.claim(entry: "e", expectedTick: now - 5000, next: BeatEntryState(tick: now, lastRun: now, taskID: "claimed-id", sent: false), holder: "dead"))
        try await Task.sleep(for: .milliseconds(1800))
        let entry = ScheduleEntry(name: "e", task: "tasks.noop", options: CallOptions(queue: "beat"), schedule: try IntervalSchedule(seconds: 5))
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let beat = Beat(app: CeleriacApp(broker: broker, backend: nil), entries: [entry], store: live, configuration: .init(holderID: "live"), logger: quiet)
        try await beat.step()
        let deliveries = try await broker.receive(from: ["beat"], limit: 10, timeout: .milliseconds(100))
        #expect(deliveries.compactMap { try? TaskMessage(envelope: $0.envelope).headers.id } == ["claimed-id"])
        #expect(try await live.states(for: ["e"])["e"] == BeatEntryState(tick: now, lastRun: now, taskID: "claimed-id", sent: true))
        await beat.resign()
        await dead.close()
        await live.close()
        await broker.close()
    }
}
