import Celeriac
import Foundation
import Synchronization

/// The dashboard's picture of the cluster: workers, tasks and finish counts, fed by Celery events, `inspect`
/// replies and the result backend's history. Thread-safe; every change is also published to ``LiveFeed``
/// subscribers (the page's server-sent events).
public final class ClusterState: Sendable {
    /// One bucket of the throughput chart.
    public struct Bucket: Sendable, Hashable {
        /// The bucket's start (epoch seconds, a multiple of ``ClusterState/bucketSeconds``).
        public var start: Double
        /// Tasks that succeeded in it.
        public var succeeded: Int
        /// Tasks that failed in it.
        public var failed: Int
    }

    /// The chart's bucket width in seconds.
    public static let bucketSeconds = 10.0
    /// How many buckets are kept (10 minutes).
    public static let bucketCount = 60

    struct Storage {
        var tasks: [String: TaskRecord] = [:]
        var workers: [String: WorkerRecord] = [:]
        var buckets: [Int: (succeeded: Int, failed: Int)] = [:]
        var eventsSeen = 0
    }

    private let storage = Mutex(Storage())
    /// How many tasks are kept; the least recently updated go first.
    public let maxTasks: Int
    /// Where changes are published.
    public let feed = LiveFeed()

    /// Creates an empty state keeping up to `maxTasks` tasks.
    public init(maxTasks: Int = 10_000) {
        self.maxTasks = max(10, maxTasks)
    }

    /// How many events were applied.
    public var eventsSeen: Int { storage.withLock { $0.eventsSeen } }

    // MARK: Events

    /// Applies one Celery event (worker or task), as `celery.events.state.State.event` does.
    public func apply(_ event: CeleryEvent, now: Double = Date().timeIntervalSince1970) {
        let timestamp = event.timestamp ?? now
        if event.type.hasPrefix("worker-") {
            guard let hostname = event.hostname else { return }
            let record = storage.withLock { storage -> WorkerRecord in
                storage.eventsSeen += 1
                var worker = storage.workers[hostname] ?? WorkerRecord(hostname: hostname)
                worker.online = event.type != "worker-offline"
                worker.lastHeartbeat = max(worker.lastHeartbeat ?? 0, timestamp)
                let fields = event.fields
                if let freq = fields["freq"]?.doubleValue, freq > 0 { worker.frequency = freq }
                if let active = fields["active"]?.intValue { worker.activeCount = active }
                if let processed = fields["processed"]?.intValue { worker.processed = processed }
                if let load = fields["loadavg"]?.arrayValue { worker.loadAverage = load.compactMap(\.doubleValue) }
                if let ident = fields["sw_ident"]?.stringValue { worker.software = ident }
                if let version = fields["sw_ver"]?.stringValue { worker.softwareVersion = version }
                if let pid = fields["pid"]?.intValue { worker.pid = pid }
                if !worker.online { worker.activeTasks = [] }
                storage.workers[hostname] = worker
                return worker
            }
            feed.publish(kind: "worker", record.json(now: now))
            return
        }
        guard event.isTaskEvent, let id = event.uuid else { return }
        let record = storage.withLock { storage -> TaskRecord in
            storage.eventsSeen += 1
            var task = storage.tasks[id] ?? TaskRecord(id: id, updated: timestamp)
            Self.merge(event, timestamp: timestamp, into: &task)
            task.updated = max(task.updated, timestamp)
            storage.tasks[id] = task
            if event.type == "task-succeeded" || event.type == "task-failed" {
                let bucket = Int((timestamp / Self.bucketSeconds).rounded(.down))
                var counts = storage.buckets[bucket] ?? (0, 0)
                if event.type == "task-succeeded" { counts.succeeded += 1 } else { counts.failed += 1 }
                storage.buckets[bucket] = counts
                storage.buckets = storage.buckets.filter { $0.key > bucket - Self.bucketCount * 2 }
            }
            Self.evict(&storage, keeping: maxTasks)
            return task
        }
        feed.publish(kind: "task", record.summaryJSON())
    }

    static func merge(_ event: CeleryEvent, timestamp: Double, into task: inout TaskRecord) {
        let fields = event.fields
        let state: String?
        switch event.type {
        case "task-sent": state = "PENDING"
        case "task-received":
            state = "RECEIVED"
            task.received = timestamp
            task.name = fields["name"]?.stringValue ?? task.name
            task.args = fields["args"]?.stringValue ?? task.args
            task.kwargs = fields["kwargs"]?.stringValue ?? task.kwargs
            task.retries = fields["retries"]?.intValue ?? task.retries
            task.rootID = fields["root_id"]?.stringValue ?? task.rootID
            task.parentID = fields["parent_id"]?.stringValue ?? task.parentID
        case "task-started": state = "STARTED"; task.started = timestamp
        case "task-succeeded":
            state = "SUCCESS"
            task.finished = timestamp
            task.result = fields["result"]?.stringValue ?? fields["result"].map { $0.serialized(.compact) }
            task.runtime = fields["runtime"]?.doubleValue
        case "task-failed", "task-retried":
            state = event.type == "task-failed" ? "FAILURE" : "RETRY"
            if event.type == "task-failed" { task.finished = timestamp }
            task.exception = fields["exception"]?.stringValue
            task.traceback = fields["traceback"]?.stringValue ?? task.traceback
        case "task-revoked": state = "REVOKED"; task.finished = timestamp
        case "task-rejected": state = "REJECTED"
        default: state = nil
        }
        if let hostname = event.hostname, event.type != "task-sent" { task.worker = hostname }
        task.timeline.append(TaskRecord.Step(type: event.type, timestamp: timestamp, hostname: event.hostname))
        task.timeline.sort { $0.timestamp < $1.timestamp }
        guard let state else { return }
        // A late event of an earlier step does not undo a final state (events may arrive out of order).
        if task.isReady, !TaskRecord.readyStates.contains(state), let finished = task.finished, timestamp <= finished { return }
        task.state = state
    }

    static func evict(_ storage: inout Storage, keeping limit: Int) {
        guard storage.tasks.count > limit + limit / 10 else { return }
        let ordered = storage.tasks.values.sorted { $0.updated > $1.updated }
        storage.tasks = Dictionary(uniqueKeysWithValues: ordered.prefix(limit).map { ($0.id, $0) })
    }

    // MARK: Results and replies

    /// Merges a stored result (history or a detail lookup): fills what events did not say, and takes the
    /// stored state when it is final or nothing better is known.
    @discardableResult
    public func merge(_ meta: ResultMeta, now: Double = Date().timeIntervalSince1970) -> TaskRecord {
        let done = meta.dateDone.flatMap(CeleryTimestamp.parse)?.timeIntervalSince1970
        let (record, changed) = storage.withLock { storage -> (TaskRecord, Bool) in
            let before = storage.tasks[meta.taskID]
            var task = before ?? TaskRecord(id: meta.taskID, updated: done ?? now)
            let stored = meta.status.rawValue
            let heardEvents = task.timeline.contains { $0.type != "stored" }
            if !heardEvents || (!task.isReady && TaskRecord.readyStates.contains(stored)) { task.state = stored }
            if let extended = meta.extended {
                task.name = task.name ?? extended.name
                task.exactArgs = extended.args
                task.exactKwargs = extended.kwargs
                task.args = task.args ?? JSONValue.array(extended.args).serialized(.compact)
                task.kwargs = task.kwargs ?? JSONValue.object(extended.kwargs).serialized(.compact)
                task.worker = task.worker ?? extended.worker
                task.queue = task.queue ?? extended.queue
                task.retries = max(task.retries, extended.retries)
            }
            switch meta.status {
            case .success: task.result = task.result ?? meta.result.serialized(.compact)
            case .failure, .retry, .revoked:
                if task.exception == nil, let object = meta.result.objectValue {
                    let type = object["exc_type"]?.stringValue ?? "Exception"
                    let message = object["exc_message"].map { $0.arrayValue?.map { $0.pythonSafeRepr() }.joined(separator: ", ") ?? $0.pythonSafeRepr() } ?? ""
                    task.exception = "\(type)(\(message))"
                }
            default: break
            }
            task.traceback = task.traceback ?? meta.traceback
            task.parentID = task.parentID ?? meta.parentID
            if let done {
                task.finished = task.finished ?? done
                if !task.timeline.contains(where: { $0.type == "stored" }) {
                    task.timeline.append(TaskRecord.Step(type: "stored", timestamp: done, hostname: nil))
                    task.timeline.sort { $0.timestamp < $1.timestamp }
                }
            }
            guard task != before else { return (task, false) }
            storage.tasks[meta.taskID] = task
            Self.evict(&storage, keeping: maxTasks)
            return (task, true)
        }
        // Only real changes go out: the page re-reads a selected task's detail on each change, and a read merges.
        if changed { feed.publish(kind: "task", record.summaryJSON()) }
        return record
    }

    /// Records that `original` was retried from the dashboard as the new task `copy`.
    public func noteRetry(of original: String, as copy: String, name: String, now: Double = Date().timeIntervalSince1970) {
        let (old, new) = storage.withLock { storage -> (TaskRecord?, TaskRecord) in
            storage.tasks[original]?.retriedAs = copy
            var task = storage.tasks[copy] ?? TaskRecord(id: copy, updated: now)
            task.name = task.name ?? name
            task.retryOf = original
            if let source = storage.tasks[original] {
                task.args = task.args ?? source.args
                task.kwargs = task.kwargs ?? source.kwargs
            }
            storage.tasks[copy] = task
            return (storage.tasks[original], task)
        }
        if let old { feed.publish(kind: "task", old.summaryJSON()) }
        feed.publish(kind: "task", new.summaryJSON())
    }

    /// Applies `stats` replies: pool size and per-task totals.
    public func applyStats(_ replies: [(hostname: String, value: JSONValue)]) {
        storage.withLock { storage in
            for reply in replies {
                var worker = storage.workers[reply.hostname] ?? WorkerRecord(hostname: reply.hostname)
                if let concurrency = reply.value.objectValue?["pool"]?.objectValue?["max-concurrency"]?.intValue { worker.concurrency = concurrency }
                if let totals = reply.value.objectValue?["total"]?.objectValue { worker.totals = totals }
                if let pid = reply.value.objectValue?["pid"]?.intValue { worker.pid = pid }
                storage.workers[reply.hostname] = worker
            }
        }
    }

    /// Applies `active` replies: the running tasks of each worker that answered.
    public func applyActive(_ replies: [(hostname: String, value: JSONValue)]) {
        storage.withLock { storage in
            for reply in replies {
                var worker = storage.workers[reply.hostname] ?? WorkerRecord(hostname: reply.hostname)
                worker.activeTasks = reply.value.arrayValue ?? []
                storage.workers[reply.hostname] = worker
            }
        }
    }

    // MARK: Reading

    /// The workers, by name.
    public func workers() -> [WorkerRecord] {
        storage.withLock { Array($0.workers.values) }.sorted { $0.hostname < $1.hostname }
    }

    /// One task, if known.
    public func task(_ id: String) -> TaskRecord? {
        storage.withLock { $0.tasks[id] }
    }

    /// Tasks matching the filters (exact state, name containing `name`, exact worker), newest first.
    public func tasks(state: String? = nil, name: String? = nil, worker: String? = nil, limit: Int = 200) -> [TaskRecord] {
        let all = storage.withLock { Array($0.tasks.values) }
        return all.filter { task in
            (state.map { $0.isEmpty || task.state == $0.uppercased() } ?? true)
                && (name.map { $0.isEmpty || (task.name ?? "").localizedCaseInsensitiveContains($0) } ?? true)
                && (worker.map { $0.isEmpty || task.worker == $0 } ?? true)
        }
        .sorted { $0.updated != $1.updated ? $0.updated > $1.updated : $0.id < $1.id }
        .prefix(max(0, limit)).map { $0 }
    }

    /// The last 10 minutes of finish counts, oldest first, with empty buckets filled in.
    public func throughput(now: Double = Date().timeIntervalSince1970) -> [Bucket] {
        let buckets = storage.withLock { $0.buckets }
        let current = Int((now / Self.bucketSeconds).rounded(.down))
        return ((current - Self.bucketCount + 1)...current).map { index in
            let counts = buckets[index] ?? (0, 0)
            return Bucket(start: Double(index) * Self.bucketSeconds, succeeded: counts.succeeded, failed: counts.failed)
        }
    }

    /// Task counts per state.
    public func stateCounts() -> [String: Int] {
        storage.withLock { storage in
            var counts: [String: Int] = [:]
            for task in storage.tasks.values { counts[task.state, default: 0] += 1 }
            return counts
        }
    }
}
