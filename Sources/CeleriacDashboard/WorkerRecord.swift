import Celeriac

/// What the dashboard knows about one worker: its heartbeats and its `stats`/`active` replies.
public struct WorkerRecord: Sendable, Hashable {
    /// The node name (`celery@host`).
    public var hostname: String
    /// Whether the last worker event was not `worker-offline`.
    public var online = true
    /// The last heartbeat or worker event (epoch seconds).
    public var lastHeartbeat: Double?
    /// The heartbeat interval the worker announced, in seconds.
    public var frequency: Double = 2
    /// Tasks running, from the last heartbeat.
    public var activeCount = 0
    /// Tasks processed since start, from the last heartbeat.
    public var processed = 0
    /// The 1, 5 and 15 minute load averages.
    public var loadAverage: [Double] = []
    /// `celeriac`, `py-celery`, ...
    public var software: String?
    /// Its version.
    public var softwareVersion: String?
    /// The process id.
    public var pid: Int?
    /// The pool's concurrency, from `stats`.
    public var concurrency: Int?
    /// Tasks run per name since start, from `stats`.
    public var totals: JSONObject = [:]
    /// The running tasks, from `active` (Celery's request dicts).
    public var activeTasks: [JSONValue] = []

    /// Creates a record.
    public init(hostname: String) {
        self.hostname = hostname
    }

    /// Celery's liveness rule (`WorkerState.alive`): online and a heartbeat within twice its frequency (with 2 s
    /// of slack for a loaded machine).
    public func isAlive(now: Double) -> Bool {
        guard online, let lastHeartbeat else { return false }
        return now - lastHeartbeat <= frequency * 2 + 2
    }

    /// The record as the page reads it.
    public func json(now: Double) -> JSONValue {
        .object([
            "hostname": .string(hostname), "alive": .bool(isAlive(now: now)),
            "last_heartbeat": lastHeartbeat.map(JSONValue.double) ?? .null, "freq": .double(frequency),
            "active": .int(activeCount), "processed": .int(processed), "loadavg": .array(loadAverage.map(JSONValue.double)),
            "sw_ident": software.map(JSONValue.string) ?? .null, "sw_ver": softwareVersion.map(JSONValue.string) ?? .null,
            "pid": pid.map(JSONValue.int) ?? .null, "concurrency": concurrency.map(JSONValue.int) ?? .null,
            "totals": .object(totals), "active_tasks": .array(activeTasks),
        ])
    }
}
