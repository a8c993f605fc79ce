import CeleriacTesting
import Foundation
import Synchronization
import Testing

@testable import Celeriac

/// Tasks that hold their slot until released, counting how many run at once.
final class PoolGate: Sendable {
    private struct State {
        var running = 0
        var most = 0
        var released = false
    }

    private let state = Mutex(State())

    var running: Int { state.withLock { $0.running } }
    var most: Int { state.withLock { $0.most } }

    func release() { state.withLock { $0.released = true } }

    func hold() async {
        state.withLock { state in
            state.running += 1
            state.most = max(state.most, state.running)
        }
        while !state.withLock({ $0.released }) && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(5))
        }
        state.withLock { $0.running -= 1 }
    }
}

/// `pool_grow`, `pool_shrink` and `autoscale`: the worker's concurrency and prefetch window change at run time,
/// with Celery's replies (`celery/worker/control.py`).
@Suite("Worker pool: grow, shrink, autoscale")
struct WorkerPoolTests {
    @Test func workQueueHandsOutAtMostItsLimit() async {
        let queue = WorkQueue<Int>(limit: 1)
        queue.push(1)
        queue.push(2)
        #expect(await queue.next() == 1)
        #expect(queue.busy == 1 && queue.count == 1)
        let second = Task { await queue.next() }
        try? await Task.sleep(for: .milliseconds(50))
        #expect(queue.count == 1, "the second item waits for a free slot")
        queue.setLimit(2)
        #expect(await second.value == 2)
        queue.done()
        queue.done()
        #expect(queue.busy == 0)
        queue.push(3)
        #expect(queue.snapshot() == [3])
        #expect(await queue.next() == 3)
    }

    @Test func prefetchWindowGrowsAndShrinks() async {
        let window = PrefetchWindow(limit: 2)
        window.take(2)
        #expect(window.free == 0)
        let waiting = Task { await window.waitForRoom() }
        window.setLimit(4)
        await waiting.value
        #expect(window.free == 2)
        window.setLimit(1)
        #expect(window.free == 0 && window.limit == 1)
    }

    @Test func poolGrowAndShrinkChangeHowManyTasksRunAtOnce() async throws {
        let harness = WorkerHarness()
        let gate = PoolGate()
        harness.app.registry.register(name: "tests.hold") { _, _, _ in
            await gate.hold()
            return .null
        }
        try await harness.withWorker(WorkerHarness.configuration(concurrency: 1)) { worker in
            for _ in 0..<3 { _ = try await harness.app.send(name: "tests.hold") }
            #expect(await eventually { gate.running == 1 })
            try await Task.sleep(for: .milliseconds(100))
            #expect(gate.running == 1, "a pool of one runs one task")

            let grow = await worker.handleControl(ControlRequest(method: "pool_grow", arguments: ["n": 2]))
            #expect(grow == .object(["ok": "pool will grow"]))
            #expect(await eventually { gate.running == 3 }, "the two waiting tasks start at once")
            let stats = await worker.handleControl(ControlRequest(method: "stats"))
            #expect(stats?.objectValue?["pool"]?.objectValue?["max-concurrency"] == .int(3))
            #expect(stats?.objectValue?["prefetch_count"] == .int(12), "3 slots x multiplier 4")
            #expect(stats?.objectValue?["pool"]?.objectValue?["writes"]?.objectValue?["inqueues"]?.objectValue?["active"] == .int(3))

            let shrink = await worker.handleControl(ControlRequest(method: "pool_shrink", arguments: ["n": "2"]))
            #expect(shrink == .object(["ok": "pool will shrink"]))
            gate.release()
            #expect(await eventually { gate.running == 0 })
            let again = await worker.handleControl(ControlRequest(method: "pool_shrink"))
            #expect(again?.objectValue?["error"] != nil, "never below one slot")
            let bad = await worker.handleControl(ControlRequest(method: "pool_grow", arguments: ["n": -1]))
            #expect(bad?.objectValue?["error"] != nil)
            let after = await worker.handleControl(ControlRequest(method: "stats"))
            #expect(after?.objectValue?["pool"]?.objectValue?["max-concurrency"] == .int(1))
            #expect(after?.objectValue?["prefetch_count"] == .int(4))
        }
        #expect(gate.most == 3)
    }

    @Test func shrinkingLetsRunningTasksFinishAndStartsNoMore() async throws {
        let harness = WorkerHarness()
        let gate = PoolGate()
        harness.app.registry.register(name: "tests.hold") { _, _, _ in
            await gate.hold()
            return .null
        }
        try await harness.withWorker(WorkerHarness.configuration(concurrency: 2)) { worker in
            _ = await worker.handleControl(ControlRequest(method: "pool_shrink"))
            for _ in 0..<3 { _ = try await harness.app.send(name: "tests.hold") }
            #expect(await eventually { gate.running == 1 })
            try await Task.sleep(for: .milliseconds(150))
            #expect(gate.running == 1 && gate.most == 1, "after pool_shrink 1 a pool of two runs one task")
            let reserved = await worker.handleControl(ControlRequest(method: "reserved"))
            #expect(reserved?.arrayValue?.count == 2, "the waiting ones show as reserved: \(String(describing: reserved))")
            gate.release()
        }
    }

    @Test func autoscaleFollowsTheLoadBetweenMinAndMax() async throws {
        let harness = WorkerHarness()
        let gate = PoolGate()
        harness.app.registry.register(name: "tests.hold") { _, _, _ in
            await gate.hold()
            return .null
        }
        try await harness.withWorker(WorkerHarness.configuration(concurrency: 1)) { worker in
            let reply = await worker.handleControl(ControlRequest(method: "autoscale", arguments: ["max": 4, "min": 2]))
            #expect(reply == .object(["ok": "autoscale now max=4 min=2"]))
            var stats = await worker.handleControl(ControlRequest(method: "stats"))
            #expect(stats?.objectValue?["pool"]?.objectValue?["max-concurrency"] == .int(2), "grown to min")
            #expect(stats?.objectValue?["autoscaler"]?.objectValue?["max"] == .int(4))
            #expect(stats?.objectValue?["prefetch_count"] == .int(16), "the window follows max")
            let refused = await worker.handleControl(ControlRequest(method: "pool_grow"))
            #expect(refused == .object(["error": "pool_grow is not supported with autoscale. Adjust autoscale range instead."]))

            for _ in 0..<6 { _ = try await harness.app.send(name: "tests.hold") }
            #expect(await eventually { gate.running == 2 })
            #expect(await eventually { worker.ready.count == 4 })
            let start = ContinuousClock.now
            // The worker's own autoscaler may tick first (once a second): either way the pool is now 4.
            _ = worker.autoscaleTick(now: start, keepalive: .seconds(30))
            #expect(worker.control.pool.withLock { $0.size } == 4, "6 waiting or running, max 4")
            #expect(await eventually { gate.running == 4 })
            gate.release()
            #expect(await eventually { gate.running == 0 && worker.ready.count == 0 && worker.ready.busy == 0 })
            #expect(worker.autoscaleTick(now: start + .seconds(5), keepalive: .seconds(30)) == nil, "no shrink within the keepalive")
            #expect(worker.autoscaleTick(now: start + .seconds(31), keepalive: .seconds(30)) == 2, "back to min after it")
            stats = await worker.handleControl(ControlRequest(method: "stats"))
            #expect(stats?.objectValue?["autoscaler"]?.objectValue?["current"] == .int(2))
            let narrowed = await worker.handleControl(ControlRequest(method: "autoscale", arguments: ["max": 1]))
            #expect(narrowed == .object(["error": "autoscale needs max >= min and max >= 1"]), "max below min is refused")
            let lowered = await worker.handleControl(ControlRequest(method: "autoscale", arguments: ["max": 3, "min": 1]))
            #expect(lowered == .object(["ok": "autoscale now max=3 min=1"]))
        }
        #expect(gate.most == 4)
    }
}
