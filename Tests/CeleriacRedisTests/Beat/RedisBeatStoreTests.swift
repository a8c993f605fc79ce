import CeleriacTesting
import Celeriac
import CeleriacRESP
import CeleriacRedis
import Foundation
import Testing

@Suite("RedisBeatStore: lease and tick claims on a real redis-server", .enabled(if: RedisServer.shouldRun, "redis-server not installed"))
struct RedisBeatStoreTests {
    @Test func leaseIsSetNXWithExpiryRenewedAndReleasedOnlyByItsHolder() async throws {
        try await withRedis { (redis) async throws in
            let raw = try redis.client()
            let a = RedisBeatStore(client: try redis.client(), keyPrefix: "app:", ownsClient: true)
            let b = RedisBeatStore(client: try redis.client(), keyPrefix: "app:", ownsClient: true)
            #expect(a.leaseKey == "app:celeriac.beat.default.lease")
            #expect(try await a.acquireLease(holder: "a", ttl: .milliseconds(4000)))
            #expect(try await raw.text("GET", "app:celeriac.beat.default.lease") == "a")
            let ttl = try await raw.send(RESPCommand("PTTL", .string("app:celeriac.beat.default.lease"))).int ?? -1
            #expect(ttl > 0 && ttl <= 4000, "the lease expires by Redis's clock: \(ttl)")
            #expect(try await false == b.acquireLease(holder: "b", ttl: .seconds(10)))
            #expect(try await a.acquireLease(holder: "a", ttl: .milliseconds(4000)))
            #expect(try await false == b.renewLease(holder: "b", ttl: .seconds(10)))
            try await b.releaseLease(holder: "b")
            #expect(try await b.leaseHolder() == "a")
            try await Task.sleep(for: .milliseconds(4300))
            #expect(try await b.leaseHolder() == nil)
            #expect(try await false == a.renewLease(holder: "a", ttl: .seconds(10)))
            #expect(try await b.acquireLease(holder: "b", ttl: .seconds(10)))
            try await b.releaseLease(holder: "b")
            #expect(try await a.acquireLease(holder: "a", ttl: .seconds(10)), "released: free at once")
            // Another lease name does not compete.
            let other = RedisBeatStore(client: try redis.client(), keyPrefix: "app:", leaseName: "other", ownsClient: true)
            #expect(try await other.acquireLease(holder: "c", ttl: .seconds(10)))
            await a.close()
            await b.close()
            await other.close()
            await raw.close()
        }
    }

    @Test func claimsAreCompareAndSetUnderTheLease() async throws {
        try await withRedis { (redis) async throws in
            let raw = try redis.client()
            let a = RedisBeatStore(client: try redis.client(), ownsClient: true)
            let b = RedisBeatStore(client: try redis.client(), ownsClient: true)
            #expect(try await a.acquireLease(holder: "a", ttl: .seconds(10)))
            let seed = BeatEntryState(tick: 1000, lastRun: 1000, taskID: "", sent: true)
            #expect(try await false == b.claim(entry: "e", expectedTick: nil, next: seed, holder: "b"), "not the holder")
            #expect(try await a.claim(entry: "e", expectedTick: nil, next: seed, holder: "a"))
            #expect(try await false == a.claim(entry: "e", expectedTick: nil, next: seed, holder: "a"))
            let next = BeatEntryState(tick: 2000, lastRun: 2500, taskID: "t1", sent: false)
            #expect(try await false == a.claim(entry: "e", expectedTick: 999, next: next, holder: "a"))
            #expect(try await a.claim(entry: "e", expectedTick: 1000, next: next, holder: "a"))
            #expect(try await false == a.claim(entry: "e", expectedTick: 1000, next: next, holder: "a"), "the same tick is claimed once")
            #expect(try await b.states(for: ["e", "missing"]) == ["e": next])
            #expect(try await raw.text("HGET", "celeriac.beat.default.entry.e", "task_id") == "t1")
            #expect(try await false == b.markSent(entry: "e", tick: 2000, holder: "b"))
            #expect(try await false == a.markSent(entry: "e", tick: 1000, holder: "a"))
            #expect(try await a.markSent(entry: "e", tick: 2000, holder: "a"))
            #expect(try await b.states(for: ["e"])["e"]?.sent == true)
            // The scripts survive a SCRIPT FLUSH (reloaded on NOSCRIPT).
            _ = try await raw.send(RESPCommand("SCRIPT", "FLUSH"))
            #expect(try await a.claim(entry: "e", expectedTick: 2000, next: BeatEntryState(tick: 3000, lastRun: 3000, taskID: "t2", sent: false), holder: "a"))
            await a.close()
            await b.close()
            await raw.close()
        }
    }

    @Test func twoBeatsOnOneRedisSendEachTickOnceAcrossAFailover() async throws {
        try await withRedis { (redis) async throws in
            let broker = try redis.broker()
            let app = CeleriacApp(broker: broker, backend: nil)
            let entry = ScheduleEntry(name: "tick", task: "tasks.noop", options: CallOptions(queue: "beat"), schedule: try IntervalSchedule(seconds: 0.2))
            let storeA = RedisBeatStore(client: try redis.client(), ownsClient: true)
            let storeB = RedisBeatStore(client: try redis.client(), ownsClient: true)
            let a = Beat(app: app, entries: [entry], store: storeA, configuration: .init(holderID: "a", leaseTTL: .milliseconds(1500)), logger: .quiet)
            let b = Beat(app: app, entries: [entry], store: storeB, configuration: .init(holderID: "b", leaseTTL: .milliseconds(1500)), logger: .quiet)
            let runA = Task { try await a.run() }
            try await Task.sleep(for: .milliseconds(100))
            let runB = Task { try await b.run() }
            try await Task.sleep(for: .seconds(2))
            runA.cancel()
            _ = try? await runA.value
            try await Task.sleep(for: .seconds(2))
            runB.cancel()
            _ = try? await runB.value
            let deliveries = try await broker.receive(from: ["beat"], limit: 1000, timeout: .milliseconds(100))
            let ids = deliveries.compactMap { try? TaskMessage(envelope: $0.envelope).headers.id }
            #expect(Set(ids).count == ids.count, "no tick sent twice")
            // About 4 s of 0.2 s ticks; far fewer when the machine is loaded (late ticks run once, and the standby
            // waits out the 1.5 s lease), so only the upper bound is tight.
            #expect(ids.count >= 3 && ids.count <= 21, "ticks sent: \(ids.count)")
            let state = try await storeA.states(for: ["tick"])["tick"]
            #expect(state?.sent == true && ids.contains(state?.taskID ?? "-"))
            await storeA.close()
            await storeB.close()
            await broker.close()
        }
    }
}
