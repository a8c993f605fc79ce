import Celeriac
import CeleriacTesting
import Foundation
import Testing

@Suite("Worker: shutdown")
struct WorkerShutdownTests {
    @Test func warmShutdownGivesBackPrefetchedMessagesAndFinishesRunningTasks() async throws {
        let h = WorkerHarness()
        let started = Probe<String>()
        h.app.registry.register(name: "tests.slow") { _, _, context in
            started.append(context.id)
            // Long enough that the shutdown below starts while it runs, even on a loaded machine.
            try await Task.sleep(for: .seconds(2))
            return "done"
        }
        var ids: [String] = []
        for _ in 0..<4 { ids.append(try await h.app.send(name: "tests.slow").id) }
        try await h.withWorker(WorkerHarness.configuration(concurrency: 1, prefetchMultiplier: 4)) { _ in
            #expect(await started.waitForCount(1))
            #expect(await h.broker.waitUntil { $0.events(.received).count == 4 })
            // Returning starts the graceful shutdown while the first task sleeps.
        }
        #expect(started.all == [ids[0]])
        #expect(h.backend.current(ids[0])?.status == .success)
        for id in ids.dropFirst() { #expect(h.backend.current(id) == nil) }
        #expect(Set(h.broker.events(.givenBack).compactMap(\.taskID)) == Set(ids.dropFirst()))
        let waiting = h.broker.waiting(in: "celery")
        #expect(waiting.compactMap(\.taskID) == Array(ids.dropFirst()))
        #expect(waiting.allSatisfy { $0.redelivered })
        #expect(h.broker.unackedCount == 0)
    }

    @Test func warmShutdownGivesBackMessagesHeldForTheirETA() async throws {
        let h = WorkerHarness()
        h.app.registry.register(addTask) { args, _ in args.x + args.y }
        let later = try await h.app.applyAsync(addTask, AddArguments(x: 1, y: 1), options: CallOptions(countdown: 30))
        try await h.withWorker { _ in
            #expect(await h.broker.waitUntil { $0.unackedTaskIDs.contains(later.id) })
        }
        #expect(h.broker.waiting(in: "celery").compactMap(\.taskID) == [later.id])
        #expect(h.broker.ackOrder.isEmpty)
        #expect(h.backend.current(later.id) == nil)
    }

    /// Runs a worker in a plain task, waits for `ready`, then cancels it (cold shutdown).
    private func coldShutdown(_ h: WorkerHarness, configuration: Worker.Configuration, ready: @escaping @Sendable () async -> Bool) async throws {
        let worker = Worker(app: h.app, configuration: configuration, logger: .quiet)
        let run = Task { try await worker.run() }
        let isReady = await ready()
        #expect(isReady)
        run.cancel()
        let begin = ContinuousClock.now
        try await run.value
        #expect((ContinuousClock.now - begin).seconds < 4, "cold shutdown took too long")
    }

    @Test func coldShutdownGivesBackRunningAcksLateTasks() async throws {
        let h = WorkerHarness()
        let started = Probe<String>()
        h.app.registry.register(name: "tests.long", options: TaskOptions(acksLate: true)) { _, _, context in
            started.append(context.id)
            try await Task.sleep(for: .seconds(5))
            return "done"
        }
        let result = try await h.app.send(name: "tests.long")
        try await coldShutdown(h, configuration: WorkerHarness.configuration()) { await started.waitForCount(1) }
        #expect(!h.broker.isAcked(taskID: result.id))
        #expect(h.broker.events(.givenBack).compactMap(\.taskID) == [result.id])
        #expect(h.broker.waiting(in: "celery").compactMap(\.taskID) == [result.id])
        // Celery 5.5+ (`Consumer.cancel_all_unacked_requests` → `Request.cancel`) stores RETRY "cancelled by
        // Celery" and the unacked message is restored; never a final state.
        #expect(!h.backend.history(of: result.id).contains { $0.isReady }, "stored \(h.backend.history(of: result.id)) for a task cut off by shutdown")
    }

    @Test func coldShutdownGivesBackRunningRejectOnWorkerLostTasks() async throws {
        let h = WorkerHarness()
        let started = Probe<String>()
        h.app.registry.register(name: "tests.long", options: TaskOptions(acksLate: true, rejectOnWorkerLost: true)) { _, _, context in
            started.append(context.id)
            try await Task.sleep(for: .seconds(5))
            return "done"
        }
        let result = try await h.app.send(name: "tests.long")
        try await coldShutdown(h, configuration: WorkerHarness.configuration()) { await started.waitForCount(1) }
        #expect(!h.broker.isAcked(taskID: result.id))
        #expect(h.broker.waiting(in: "celery").compactMap(\.taskID) == [result.id])
        #expect(!h.backend.history(of: result.id).contains { $0.isReady })
    }

    @Test func coldShutdownGivesBackRunningAcksLateTasksWithATimeLimit() async throws {
        let h = WorkerHarness()
        let started = Probe<String>()
        h.app.registry.register(name: "tests.long", options: TaskOptions(acksLate: true, timeLimit: 30)) { _, _, context in
            started.append(context.id)
            try await Task.sleep(for: .seconds(5))
            return "done"
        }
        let result = try await h.app.send(name: "tests.long")
        try await coldShutdown(h, configuration: WorkerHarness.configuration()) { await started.waitForCount(1) }
        #expect(!h.broker.isAcked(taskID: result.id))
        #expect(h.broker.waiting(in: "celery").compactMap(\.taskID) == [result.id])
        #expect(!h.backend.history(of: result.id).contains { $0.isReady })
    }

    @Test func coldShutdownGivesBackPrefetchedMessagesWithoutRunningThem() async throws {
        let h = WorkerHarness()
        let started = Probe<String>()
        h.app.registry.register(name: "tests.long") { _, _, context in
            started.append(context.id)
            try await Task.sleep(for: .seconds(5))
            return "done"
        }
        var ids: [String] = []
        for _ in 0..<3 { ids.append(try await h.app.send(name: "tests.long").id) }
        try await coldShutdown(h, configuration: WorkerHarness.configuration(concurrency: 1, prefetchMultiplier: 4)) {
            guard await started.waitForCount(1) else { return false }
            return await h.broker.waitUntil { $0.events(.received).count == 3 }
        }
        #expect(started.all == [ids[0]], "tasks started during cold shutdown: \(started.all)")
        #expect(h.broker.waiting(in: "celery").compactMap(\.taskID) == [ids[1], ids[2]])
        for id in ids.dropFirst() {
            #expect(!h.broker.isAcked(taskID: id))
            #expect(h.backend.history(of: id).isEmpty)
        }
    }
}
