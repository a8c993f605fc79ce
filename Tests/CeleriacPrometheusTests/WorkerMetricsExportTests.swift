import Celeriac
import CeleriacPrometheus
import CeleriacTesting
import CoreMetrics
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// A real worker on the in-memory broker, its swift-metrics bound (task-locally) to a fresh exporter.
@Suite("Worker metrics in Prometheus")
struct WorkerMetricsExportTests {
    static let quiet = Logger(label: "celeriac.tests", factory: { _ in SwiftLogNoOpLogHandler() })

    static func configuration(concurrency: Int) -> Worker.Configuration {
        Worker.Configuration(
            concurrency: concurrency, prefetchMultiplier: 4, queues: ["celery"], hostname: "celery@metrics", etaLimit: 1000,
            shutdownGracePeriod: .seconds(5), revocationRefreshInterval: .milliseconds(20), receiveTimeout: .milliseconds(50))
    }

    /// Runs a worker while `body` runs, with the worker's metrics going to `exporter`.
    static func withWorker(
        app: CeleriacApp, exporter: PrometheusExporter, concurrency: Int = 1, _ body: (Worker) async throws -> Void
    ) async throws {
        try await withMetricsFactory(exporter.factory) {
            let worker = Worker(app: app, configuration: configuration(concurrency: concurrency), logger: quiet)
            exporter.onCollect { worker.refreshMetrics() }
            let group = ServiceGroup(services: [worker], logger: quiet)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let outcome: Result<Void, any Error>
                do { outcome = .success(try await body(worker)) } catch { outcome = .failure(error) }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                try outcome.get()
            }
        }
    }

    static func eventually(timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    @Test func renderHasTaskCountsRuntimesAndQueueWaits() async throws {
        let app = CeleriacApp(broker: InMemoryBroker(), backend: InMemoryResultBackend(), logger: Self.quiet)
        app.registry.register(name: "tests.add") { args, _, _ in .int((args.first?.intValue ?? 0) + (args.last?.intValue ?? 0)) }
        app.registry.register(name: "tests.fail") { _, _, _ in throw TaskError.valueError("no") }
        let exporter = PrometheusExporter()
        let first = try await app.send(name: "tests.add", args: [1, 2])
        let second = try await app.send(name: "tests.add", args: [3, 4])
        let failing = try await app.send(name: "tests.fail")
        try await app.send(name: "tests.unregistered")
        try await Self.withWorker(app: app, exporter: exporter) { _ in
            let sums = [try await first.get(timeout: .seconds(10)), try await second.get(timeout: .seconds(10))]
            #expect(sums == [.int(3), .int(7)])
            await #expect(throws: (any Error).self) { try await failing.get(timeout: .seconds(10)) }
            #expect(await Self.eventually { exporter.render().contains(#"celeriac_worker_tasks_active{worker="celery@metrics"} 0.0"#) })
        }
        let text = exporter.render()
        #expect(text.contains(#"celeriac_tasks_received_total{name="tests.add"} 2"#))
        #expect(text.contains(#"celeriac_tasks_total{name="tests.add",state="SUCCESS"} 2"#))
        #expect(text.contains(#"celeriac_tasks_total{name="tests.fail",state="FAILURE"} 1"#))
        #expect(text.contains(#"celeriac_tasks_total{name="tests.unregistered",state="REJECTED"} 1"#))
        #expect(text.contains(#"celeriac_task_runtime_seconds_count{name="tests.add"} 2"#))
        #expect(text.contains(#"celeriac_task_runtime_seconds_count{name="tests.fail"} 1"#))
        #expect(text.contains(#"celeriac_task_queue_wait_seconds_count{name="tests.add"} 2"#))
        #expect(text.contains(#"celeriac_task_runtime_seconds_bucket{name="tests.add",le="600.0"} 2"#))
        #expect(text.contains(#"celeriac_worker_tasks_active{worker="celery@metrics"} 0.0"#))
        #expect(text.contains(#"celeriac_worker_tasks_prefetched{worker="celery@metrics"} 0.0"#))
        #expect(!text.contains(#"state="RETRY""#))
    }

    @Test func gaugesShowRunningAndPrefetchedTasks() async throws {
        let app = CeleriacApp(broker: InMemoryBroker(), backend: InMemoryResultBackend(), logger: Self.quiet)
        let release = Atomic<Bool>(false)
        let started = Atomic<Int>(0)
        app.registry.register(name: "tests.block") { _, _, _ in
            started.add(1, ordering: .relaxed)
            while !release.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(5)) }
            return .null
        }
        let exporter = PrometheusExporter()
        var results: [AsyncResult<JSONValue>] = []
        for _ in 0..<3 { results.append(try await app.send(name: "tests.block")) }
        try await Self.withWorker(app: app, exporter: exporter) { _ in
            // Concurrency 1: one runs, two wait in the worker's prefetch.
            // The active gauge goes up just before the task's code runs: wait for both.
            #expect(await Self.eventually {
                let text = exporter.render()
                return started.load(ordering: .relaxed) >= 1
                    && text.contains(#"celeriac_worker_tasks_active{worker="celery@metrics"} 1.0"#)
                    && text.contains(#"celeriac_worker_tasks_prefetched{worker="celery@metrics"} 2.0"#)
            })
            #expect(started.load(ordering: .relaxed) == 1, "concurrency 1: only one task may have started")
            release.store(true, ordering: .releasing)
            for result in results { _ = try await result.get(timeout: .seconds(10)) }
            #expect(await Self.eventually {
                let text = exporter.render()
                return text.contains(#"celeriac_worker_tasks_active{worker="celery@metrics"} 0.0"#)
                    && text.contains(#"celeriac_worker_tasks_prefetched{worker="celery@metrics"} 0.0"#)
            })
        }
        #expect(exporter.render().contains(#"celeriac_tasks_total{name="tests.block",state="SUCCESS"} 3"#))
    }

    /// The queue wait of an ETA task starts at its ETA, not when the worker received it: a 2 s countdown does not
    /// show up as 2 s of waiting.
    @Test func queueWaitOfAnETATaskStartsAtItsETA() async throws {
        let app = CeleriacApp(broker: InMemoryBroker(), backend: InMemoryResultBackend(), logger: Self.quiet)
        app.registry.register(name: "tests.later") { _, _, _ in .string("done") }
        let exporter = PrometheusExporter()
        let started = ContinuousClock.now
        let result = try await app.send(name: "tests.later", options: CallOptions(countdown: 2))
        try await Self.withWorker(app: app, exporter: exporter) { _ in
            let value = try await result.get(timeout: .seconds(15))
            #expect(value == .string("done"))
        }
        #expect(ContinuousClock.now - started >= .milliseconds(1900), "the ETA was honoured")
        let text = exporter.render()
        #expect(text.contains(#"celeriac_task_queue_wait_seconds_count{name="tests.later"} 1"#), "\(text)")
        #expect(text.contains(#"celeriac_task_queue_wait_seconds_bucket{name="tests.later",le="1.0"} 1"#), "\(text)")
    }

    /// Messages given back on shutdown leave the prefetched gauge.
    @Test func givenBackMessagesLeaveThePrefetchedGauge() async throws {
        let broker = InMemoryBroker()
        let app = CeleriacApp(broker: broker, backend: InMemoryResultBackend(), logger: Self.quiet)
        let release = Gate()
        app.registry.register(name: "tests.block") { _, _, _ in
            while !release.isOpen { try await Task.sleep(for: .milliseconds(5)) }
            return .null
        }
        let exporter = PrometheusExporter()
        for _ in 0..<3 { try await app.send(name: "tests.block") }
        try await Self.withWorker(app: app, exporter: exporter) { _ in
            #expect(await Self.eventually { exporter.render().contains(#"celeriac_worker_tasks_prefetched{worker="celery@metrics"} 2.0"#) })
            // The running task ends only after the warm shutdown gave the two waiting messages back.
            Task {
                try? await Task.sleep(for: .milliseconds(300))
                release.open()
            }
        }
        let text = exporter.render()
        #expect(text.contains(#"celeriac_tasks_total{name="tests.block",state="SUCCESS"} 1"#))
        #expect(text.contains(#"celeriac_worker_tasks_prefetched{worker="celery@metrics"} 0.0"#), "\(text)")
        #expect(text.contains(#"celeriac_worker_tasks_active{worker="celery@metrics"} 0.0"#))
        #expect(try await broker.queueDepths().first { $0.queue == "celery" }?.ready == 2)
    }
}

/// A flag a test opens and task bodies poll.
final class Gate: Sendable {
    private let state = Atomic<Bool>(false)

    func open() { state.store(true, ordering: .releasing) }

    var isOpen: Bool { state.load(ordering: .acquiring) }
}
