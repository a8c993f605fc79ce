import Foundation
import Logging
import Synchronization

/// Sends Celery events for one node (`celery/events/dispatcher.py`): fills in the fields every event carries
/// (`hostname`, `utcoffset`, `pid`, `clock`, `timestamp`) and publishes through an ``EventTransport``.
///
/// Worker events (`worker-*`) go out at once. Task events are sent only while task events are enabled (`-E`,
/// `enable_events`) and are batched, as Celery's workers batch them: events that pile up while a publish is
/// in flight (or within a few milliseconds) go out together as a JSON list with routing key `task.multi`.
/// A failed publish is logged and dropped: events are best-effort in Celery too, and never stop a task.
public final class EventDispatcher: Sendable {
    /// The node name events carry (`celery@host`).
    public let hostname: String
    private let transport: any EventTransport
    private let logger: Logger
    private let clock = Atomic<Int>(0)
    private let taskEvents: Atomic<Bool>
    private let pending = Mutex(Pending())

    private struct Pending {
        var events: [CeleryEvent] = []
        var waiter: CheckedContinuation<Void, Never>?
    }

    /// The most task events published in one `task.multi` list.
    static let batchLimit = 100

    /// Creates a dispatcher.
    /// - Parameters:
    ///   - transport: where events are published.
    ///   - hostname: the node name.
    ///   - taskEvents: whether task events are on from the start (the worker's `-E`).
    ///   - logger: where publish failures are logged.
    public init(transport: any EventTransport, hostname: String, taskEvents: Bool, logger: Logger) {
        self.transport = transport
        self.hostname = hostname
        self.taskEvents = Atomic(taskEvents)
        self.logger = logger
    }

    /// Whether task events are sent (Celery's `enable_events` / `disable_events`).
    public var taskEventsEnabled: Bool {
        get { taskEvents.load(ordering: .relaxed) }
        set { taskEvents.store(newValue, ordering: .relaxed) }
    }

    /// The Lamport clock's current value.
    public var currentClock: Int { clock.load(ordering: .relaxed) }

    /// Moves the Lamport clock forward past a value seen from another node.
    public func adjustClock(_ other: Int) {
        var current = clock.load(ordering: .relaxed)
        while other > current {
            let (exchanged, original) = clock.compareExchange(expected: current, desired: other, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }

    /// Celery's `utcoffset`: hours **west** of UTC (`time.timezone / 3600`), so UTC+2 is `-2.0`.
    public static var utcOffset: Double {
        let west = -Double(TimeZone.current.secondsFromGMT()) / 3600
        return west == 0 ? 0 : west  // never -0.0
    }

    /// The event with the common fields filled in, as it will be published.
    public func prepare(_ event: CeleryEvent) -> CeleryEvent {
        // Celery's order (`events/event.py:Event`): the common fields, the kind's fields, `timestamp`, `type`.
        var fields: JSONObject = [
            "hostname": .string(hostname), "utcoffset": .double(Self.utcOffset),
            "pid": .int(Int(ProcessInfo.processInfo.processIdentifier)), "clock": .int(clock.add(1, ordering: .relaxed).newValue),
        ]
        for (key, value) in event.fields where key != "type" && key != "timestamp" { fields[key] = value }
        fields["timestamp"] = event.fields["timestamp"] ?? .double(Date().timeIntervalSince1970)
        fields["type"] = .string(event.type)
        return CeleryEvent(fields: fields)
    }

    /// Publishes a worker event now (`worker-online`, `worker-heartbeat`, `worker-offline`).
    public func sendNow(_ event: CeleryEvent) async {
        let prepared = prepare(event)
        await publish([prepared], routingKey: prepared.routingKey)
    }

    /// Queues a task event for the next batch; dropped when task events are off.
    public func send(_ event: CeleryEvent) {
        guard !event.isTaskEvent || taskEventsEnabled else { return }
        let prepared = prepare(event)
        let waiter = pending.withLock { state -> CheckedContinuation<Void, Never>? in
            state.events.append(prepared)
            let waiter = state.waiter
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Publishes queued task events until the calling task is cancelled, then flushes what is left.
    public func run() async {
        while !Task.isCancelled {
            await waitForEvents()
            // Let a burst collect (a task's received/started/succeeded come within microseconds).
            if pendingCount < Self.batchLimit { try? await Task.sleep(for: .milliseconds(5)) }
            await flush()
        }
        await flush()
    }

    /// Publishes every queued task event now.
    public func flush() async {
        let events = pending.withLock { state -> [CeleryEvent] in
            let events = state.events
            state.events = []
            return events
        }
        var start = 0
        while start < events.count {
            let batch = Array(events[start..<min(events.count, start + Self.batchLimit)])
            start += batch.count
            await publish(batch, routingKey: batch.count == 1 ? batch[0].routingKey : "task.multi")
        }
    }

    private var pendingCount: Int { pending.withLock { $0.events.count } }

    private func waitForEvents() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = pending.withLock { state -> Bool in
                    if !state.events.isEmpty || Task.isCancelled { return true }
                    state.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = pending.withLock { state -> CheckedContinuation<Void, Never>? in
                let waiter = state.waiter
                state.waiter = nil
                return waiter
            }
            waiter?.resume()
        }
    }

    private func publish(_ events: [CeleryEvent], routingKey: String) async {
        let envelope = EventEnvelope.encode(events, hostname: hostname, routingKey: routingKey)
        do {
            try await transport.publishEvent(envelope, routingKey: routingKey)
        } catch {
            logger.warning("publishing events failed; they are dropped", metadata: [
                LogKeys.error: "\(error)", "celery.event.count": "\(events.count)", "celery.event.routing_key": "\(routingKey)",
            ])
        }
    }
}
