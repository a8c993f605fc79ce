@testable import Celeriac
import CeleriacSQLite
import Foundation
import Testing

extension MultiProcessTests {
    /// Two `celeriac-example beat` replicas on one SQLite file with a 1 s interval and a 2 s lease: the standby
    /// sends nothing while the holder lives; after `kill -9` of the holder it takes over within the lease, and
    /// over the whole run the queue receives exactly one message per tick, none twice.
    @Test func twoBeatReplicasOnSQLiteSendEachTickOnceAcrossAKill() async throws {
        try await Sandbox.run { sandbox in
            let schedule = #"{"it-tick": {"task": "tasks.noop", "schedule": 1, "options": {"queue": "\#(sandbox.queue)"}}}"#
            let settings = ["CELERY_BEAT_SCHEDULE": schedule, "CELERIAC_EXAMPLE_BEAT_INTERVAL": "0"]
            let arguments = ["beat", "-l", "info", "--lease-ttl", "2"]
            let a = try sandbox.start("beat-a", arguments, environment: settings)
            let aLeads = await eventually(timeout: .seconds(15)) { a.standardError.contains(BeatLog.acquired) || !a.isRunning }
            try #require(aLeads && a.isRunning, "beat A should take the lease\n\(a.tail())")
            let b = try sandbox.start("beat-b", arguments, environment: settings)
            let started = ContinuousClock.now

            // Both live for 5 s: A sends about five ticks, B none.
            try await Task.sleep(for: .seconds(5))
            #expect(BeatLog.sends(b.standardError).isEmpty, "the standby must not send while the holder lives\n\(b.tail())")
            #expect(BeatLog.sends(a.standardError).count >= 3, "\(a.tail())")

            a.killNow()
            #expect(await a.waitForExit(timeout: .seconds(5)) == .signalled(SIGKILL))
            let takeover = await eventually(timeout: .seconds(10)) { b.standardError.contains(BeatLog.acquired) }
            #expect(takeover, "B should take the lease once A's expires\n\(b.tail())")
            try await Task.sleep(for: .seconds(5))
            #expect(await sandbox.stopWorker(b) == .exited(0), "\(b.tail())")
            let elapsed = Double((ContinuousClock.now - started).components.seconds)

            let deliveries = try await sandbox.client.broker.receive(from: [sandbox.queue], limit: 1000, timeout: .milliseconds(200))
            let queued = deliveries.compactMap { try? TaskMessage(envelope: $0.envelope).headers.id }
            // About one tick a second, minus up to the lease (2 s) and the takeover's missed ticks (run once).
            BeatLog.check(
                logs: [a.standardError, b.standardError], queued: queued, minimum: Int(elapsed) - 5, maximum: Int(elapsed) + 6,
                context: "\(a.tail())\n\(b.tail())")
        }
    }
}
