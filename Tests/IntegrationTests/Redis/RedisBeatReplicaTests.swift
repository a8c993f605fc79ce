import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Two `celeriac-example beat` replicas on one Redis: exactly one message per tick across a `kill -9` of the
/// lease holder.
@Suite(.serialized, .timeLimit(.minutes(1)), .enabled(if: RedisWorld.enabled, "redis-server not installed (set CI=true to fail instead)"))
struct RedisBeatReplicaTests {
    @Test func twoBeatReplicasOnRedisSendEachTickOnceAcrossAKill() async throws {
        try await RedisWorld.run { world in
            let schedule = #"{"it-tick": {"task": "tasks.noop", "schedule": 1, "options": {"queue": "\#(world.queue)"}}}"#
            let settings = [
                "CELERY_BEAT_SCHEDULE": schedule, "CELERIAC_EXAMPLE_BEAT_INTERVAL": "0",
                "CELERY_BROKER_TRANSPORT_OPTIONS": #"{"global_keyprefix": "it:"}"#,
            ]
            let arguments = ["beat", "-l", "info", "--lease-ttl", "2"]
            let a = try world.start("beat-a", arguments, environment: settings)
            let aLeads = await eventually(timeout: .seconds(15)) { a.standardError.contains(BeatLog.acquired) || !a.isRunning }
            try #require(aLeads && a.isRunning, "beat A should take the lease\n\(a.tail())")
            #expect(try world.redisCLI(["GET", "it:celeriac.beat.default.lease"]).contains("."), "the lease key honours global_keyprefix")
            let b = try world.start("beat-b", arguments, environment: settings)
            let started = ContinuousClock.now

            try await Task.sleep(for: .seconds(5))
            #expect(BeatLog.sends(b.standardError).isEmpty, "the standby must not send while the holder lives\n\(b.tail())")

            a.killNow()
            #expect(await a.waitForExit(timeout: .seconds(5)) == .signalled(SIGKILL))
            let takeover = await eventually(timeout: .seconds(10)) { b.standardError.contains(BeatLog.acquired) }
            #expect(takeover, "B should take the lease once A's expires\n\(b.tail())")
            try await Task.sleep(for: .seconds(5))
            b.terminate()
            #expect(await b.waitForExit(timeout: .seconds(15)) == .exited(0), "\(b.tail())")
            let elapsed = Double((ContinuousClock.now - started).components.seconds)

            let listing = try world.redisCLI(["LRANGE", "it:\(world.queue)", "0", "-1"])
            let queued = listing.split(separator: "\n").compactMap { line -> String? in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
                return (object["headers"] as? [String: Any])?["id"] as? String
            }
            BeatLog.check(
                logs: [a.standardError, b.standardError], queued: queued, minimum: Int(elapsed) - 5, maximum: Int(elapsed) + 6,
                context: "\(a.tail())\n\(b.tail())")
        }
    }
}
