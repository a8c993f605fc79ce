import CoreMetrics
import Synchronization

/// The worker's swift-metrics: `celeriac.tasks` (counter, dimensions `name` and `status`) and
/// `celeriac.task.duration` (timer, dimension `name`).
final class WorkerMetrics: Sendable {
    private struct Key: Hashable {
        var name: String
        var status: String
    }

    private let counters = Mutex<[Key: Counter]>([:])
    private let timers = Mutex<[String: Timer]>([:])

    init() {}

    /// Counts one task end and, when given, records its run time.
    func record(task name: String, status: String, duration: Duration? = nil) {
        let key = Key(name: name, status: status)
        let counter = counters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = Counter(label: "celeriac.tasks", dimensions: [("name", name), ("status", status)])
            counters[key] = counter
            return counter
        }
        counter.increment()
        if let duration {
            let timer = timers.withLock { timers in
                if let timer = timers[name] { return timer }
                let timer = Timer(label: "celeriac.task.duration", dimensions: [("name", name)])
                timers[name] = timer
                return timer
            }
            timer.recordNanoseconds(Int64(duration.components.seconds) * 1_000_000_000 + Int64(duration.components.attoseconds / 1_000_000_000))
        }
    }
}
