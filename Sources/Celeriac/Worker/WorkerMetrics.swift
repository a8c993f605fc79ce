import CoreMetrics
import Synchronization

/// The worker's swift-metrics, named for Prometheus (docs/metrics.md):
///
/// - `celeriac_tasks_received_total{name}`: messages accepted for running (not revoked or expired on arrival).
/// - `celeriac_tasks_total{name,state}`: tasks ended, by Celery state: `SUCCESS`, `FAILURE`, `RETRY`,
///   `REVOKED` (revoked, expired or terminated) and `REJECTED` (unregistered task name).
/// - `celeriac_task_runtime_seconds{name}`: histogram of the time the task's code ran (every run that ended
///   with a result, a failure, a retry or a time limit).
/// - `celeriac_task_queue_wait_seconds{name}`: histogram of the time from the moment the message was ready to
///   run in this worker (received from the broker, or its ETA reached, whichever is later) to the task's start.
/// - `celeriac_worker_tasks_active{worker}`: tasks running now.
/// - `celeriac_worker_tasks_prefetched{worker}`: messages received and not started (waiting for a slot, a
///   rate-limit token or their ETA).
final class WorkerMetrics: Sendable {
    private struct Key: Hashable {
        var name: String
        var state: String
    }

    private struct Gauges {
        var active: Meter
        var prefetched: Meter
    }

    private let counters = Mutex<[Key: Counter]>([:])
    private let received = Mutex<[String: Counter]>([:])
    private let runtimes = Mutex<[String: Timer]>([:])
    private let waits = Mutex<[String: Timer]>([:])
    /// Messages received and not started, with the instant each became ready to run.
    private let pending = Mutex<[DeliveryTag: ContinuousClock.Instant]>([:])
    private let gauges = Mutex<Gauges?>(nil)

    init() {}

    /// Counts one task end. `status` is the worker's word for it (`success`, `failure`, `retry`, `revoked`,
    /// `unknown`), exported as the Celery state.
    func record(task name: String, status: String) {
        let key = Key(name: name, state: Self.celeryState(status))
        let counter = counters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = Counter(label: "celeriac_tasks_total", dimensions: [("name", key.name), ("state", key.state)])
            counters[key] = counter
            return counter
        }
        counter.increment()
    }

    /// Records how long a task's code ran.
    func recordRuntime(task name: String, _ duration: Duration) {
        Self.timer(in: runtimes, label: "celeriac_task_runtime_seconds", name: name).recordNanoseconds(Self.nanoseconds(duration))
    }

    /// A message was accepted for running: counted, and prefetched until it starts.
    func received(_ tag: DeliveryTag, task name: String, worker: String) {
        let counter = received.withLock { counters in
            if let counter = counters[name] { return counter }
            let counter = Counter(label: "celeriac_tasks_received_total", dimensions: [("name", name)])
            counters[name] = counter
            return counter
        }
        counter.increment()
        let now = ContinuousClock.now
        let added = pending.withLock { $0.updateValue(now, forKey: tag) == nil }
        if added { gauges(worker).prefetched.increment() }
    }

    /// A held message reached its ETA: its queue wait starts now.
    func becameDue(_ tag: DeliveryTag) {
        let now = ContinuousClock.now
        pending.withLock { pending in
            if pending[tag] != nil { pending[tag] = now }
        }
    }

    /// A message's task starts: its queue wait is recorded, and it moves from prefetched to active.
    func started(_ tag: DeliveryTag, task name: String, worker: String) {
        let now = ContinuousClock.now
        let since = pending.withLock { $0.removeValue(forKey: tag) }
        let gauges = gauges(worker)
        if let since {
            gauges.prefetched.decrement()
            Self.timer(in: waits, label: "celeriac_task_queue_wait_seconds", name: name).recordNanoseconds(Self.nanoseconds(now - since))
        }
        gauges.active.increment()
    }

    /// A started task ended (any outcome).
    func ended(worker: String) {
        gauges(worker).active.decrement()
    }

    /// A message left the worker without starting (discarded, given back).
    func forget(_ tag: DeliveryTag, worker: String) {
        let removed = pending.withLock { $0.removeValue(forKey: tag) != nil }
        if removed { gauges(worker).prefetched.decrement() }
    }

    /// Creates the gauges (at zero) if no task created them yet, so a scrape shows them from the start.
    func ensureGauges(worker: String) {
        _ = gauges(worker)
    }

    /// The messages counted as prefetched.
    func prefetchedTags() -> [DeliveryTag] {
        pending.withLock { Array($0.keys) }
    }

    private func gauges(_ worker: String) -> Gauges {
        gauges.withLock { gauges in
            if let gauges { return gauges }
            let made = Gauges(
                active: Meter(label: "celeriac_worker_tasks_active", dimensions: [("worker", worker)]),
                prefetched: Meter(label: "celeriac_worker_tasks_prefetched", dimensions: [("worker", worker)]))
            gauges = made
            return made
        }
    }

    private static func timer(in timers: borrowing Mutex<[String: Timer]>, label: String, name: String) -> Timer {
        timers.withLock { timers in
            if let timer = timers[name] { return timer }
            let timer = Timer(label: label, dimensions: [("name", name)])
            timers[name] = timer
            return timer
        }
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// The Celery state a worker status is exported as.
    static func celeryState(_ status: String) -> String {
        switch status {
        case "success": "SUCCESS"
        case "failure": "FAILURE"
        case "retry": "RETRY"
        case "revoked": "REVOKED"
        case "unknown": "REJECTED"
        default: status.uppercased()
        }
    }
}

extension Worker {
    /// Brings the worker's gauges up to date: messages given back to the broker leave
    /// `celeriac_worker_tasks_prefetched`. A Prometheus exporter calls it before each scrape
    /// (`PrometheusExporter.onCollect { worker.refreshMetrics() }`).
    public func refreshMetrics() {
        // Candidates first: a tag is in the held set before it is counted, so one missing from it now has
        // really left the worker.
        metrics.ensureGauges(worker: configuration.hostname)
        let candidates = metrics.prefetchedTags()
        guard !candidates.isEmpty else { return }
        let gone = control.held.withLock { held in candidates.filter { held.index(forKey: $0) == nil } }
        for tag in gone { metrics.forget(tag, worker: configuration.hostname) }
    }
}
