import Foundation
import Logging
import ServiceLifecycle

/// Celery beat: sends each ``ScheduleEntry``'s task when it is due, with exactly one sender per tick however
/// many beats run.
///
/// Run several for availability: they share a ``BeatStore`` (the broker's SQLite file or Redis), one holds
/// its lease and sends, the others wait and take over within the lease's time to live when the holder dies,
/// or at once when it stops cleanly (it releases the lease).
/// ```swift
/// let beat = Beat(app: app, entries: entries, store: store, configuration: .init(leaseTTL: .seconds(10)), logger: logger)
/// try await ServiceGroup(services: [beat], logger: logger).run()
/// ```
/// Celery's semantics: an entry seen for the first time counts as just run; after downtime, an entry that
/// missed several ticks runs once, not once per missed tick.
public actor Beat: Service {
    /// Settings of a ``Beat``.
    public struct Configuration: Sendable {
        /// This replica's lease holder id; unique per process.
        public var holderID: String
        /// How long the lease lasts without renewal: the longest failover after a holder dies.
        public var leaseTTL: Duration
        /// The longest sleep between two checks (Celery's `beat_max_loop_interval`, 5 s by default here).
        public var maxInterval: Duration

        /// Creates a configuration.
        /// - Parameters:
        ///   - holderID: the replica's id; `<host>.<pid>.<random>` by default.
        ///   - leaseTTL: the lease's time to live (10 s); the holder renews it every third of it.
        ///   - maxInterval: the longest sleep between checks (5 s).
        public init(holderID: String? = nil, leaseTTL: Duration = .seconds(10), maxInterval: Duration = .seconds(5)) {
            let process = ProcessInfo.processInfo
            self.holderID = holderID ?? "\(process.hostName).\(process.processIdentifier).\(UUID().uuidString.prefix(8).lowercased())"
            self.leaseTTL = leaseTTL
            self.maxInterval = maxInterval
        }
    }

    /// The app messages are sent with.
    public nonisolated let app: CeleriacApp
    /// The entries, by name (the last one wins when two share a name).
    public nonisolated let entries: [ScheduleEntry]
    /// The settings.
    public nonisolated let configuration: Configuration
    let store: any BeatStore
    let logger: Logger
    let now: @Sendable () -> Date

    /// Whether this replica holds the lease, as far as it knows.
    public private(set) var isHolder = false
    private var renewAt = Date.distantPast
    private var states: [String: BeatEntryState] = [:]

    /// Creates a beat.
    /// - Parameters:
    ///   - app: sends the messages (its broker, routes and default queue apply).
    ///   - entries: the schedule; entries sharing a name are merged, the later one wins.
    ///   - store: where the lease and the entries' state live.
    ///   - configuration: holder id, lease time to live, longest sleep.
    ///   - logger: logs each send and lease change.
    ///   - now: the clock (for tests).
    public init(
        app: CeleriacApp, entries: [ScheduleEntry], store: any BeatStore, configuration: Configuration = Configuration(), logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        var byName: [String: Int] = [:]
        var unique: [ScheduleEntry] = []
        for entry in entries {
            if let index = byName[entry.name] {
                unique[index] = entry
            } else {
                byName[entry.name] = unique.count
                unique.append(entry)
            }
        }
        self.app = app
        self.entries = unique
        self.store = store
        self.configuration = configuration
        self.logger = logger
        self.now = now
    }

    /// Runs until cancelled or a graceful shutdown, then releases the lease.
    public func run() async throws {
        logger.info(
            "beat: Starting...",
            metadata: ["beat.holder": "\(configuration.holderID)", "beat.entries": "\(entries.map(\.name).joined(separator: ", "))"])
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let wake = await self.stepLogging()
                let pause = max(0.001, wake.timeIntervalSince(self.now()))
                try? await Task.sleep(for: .milliseconds(Int64(pause * 1000)))
            }
        }
        await resign()
    }

    /// Gives up the lease if held (on shutdown), so another replica takes over at once.
    public func resign() async {
        guard isHolder else { return }
        isHolder = false
        do {
            try await store.releaseLease(holder: configuration.holderID)
            logger.info("beat: released the lease", metadata: ["beat.holder": "\(configuration.holderID)"])
        } catch {
            logger.warning("beat: could not release the lease; another beat takes over when it expires", metadata: ["error": "\(error)"])
        }
    }

    private func stepLogging() async -> Date {
        do {
            return try await step()
        } catch {
            logger.error("beat: store or broker failed; retrying", metadata: ["error": "\(error)"])
            isHolder = false
            return now().addingTimeInterval(min(1, configuration.leaseTTL.secondsValue / 3))
        }
    }

    /// One pass: keeps or takes the lease, publishes claimed-but-unsent ticks, claims and sends due ticks.
    /// - Returns: when the next pass should run.
    @discardableResult
    public func step() async throws -> Date {
        let ttl = configuration.leaseTTL
        let leaseCheck = min(ttl.secondsValue / 3, configuration.maxInterval.secondsValue)
        if isHolder, now() >= renewAt {
            if try await store.renewLease(holder: configuration.holderID, ttl: ttl) {
                renewAt = now().addingTimeInterval(leaseCheck)
            } else {
                isHolder = false
                logger.warning("beat: lost the lease; another beat sends now", metadata: ["beat.holder": "\(configuration.holderID)"])
            }
        }
        if !isHolder {
            guard try await store.acquireLease(holder: configuration.holderID, ttl: ttl) else {
                return now().addingTimeInterval(leaseCheck)
            }
            isHolder = true
            renewAt = now().addingTimeInterval(leaseCheck)
            logger.info("beat: acquired the lease; this beat sends", metadata: ["beat.holder": "\(configuration.holderID)"])
            states = try await store.states(for: entries.map(\.name))
        }
        var wake = min(renewAt, now().addingTimeInterval(configuration.maxInterval.secondsValue))
        for entry in entries {
            guard isHolder else { break }
            do {
                if let next = try await advance(entry) { wake = min(wake, next) }
            } catch {
                // One entry's failure (broker down, store busy) must not hold the others up: its tick stays
                // claimed and unsent, and is sent again on the next pass.
                logger.error("beat: sending \(entry.name) failed; retrying", metadata: ["beat.entry": "\(entry.name)", "error": "\(error)"])
                wake = min(wake, now().addingTimeInterval(1))
            }
        }
        return wake
    }

    /// Seeds, re-sends or fires one entry; returns its next due time.
    private func advance(_ entry: ScheduleEntry) async throws -> Date? {
        guard var state = states[entry.name] else {
            let first = Self.millis(entry.schedule.initialLastRun(firstSeen: now()))
            let seed = BeatEntryState(tick: first, lastRun: first, taskID: "", sent: true)
            try await claim(entry, expected: nil, seed)
            return states[entry.name].flatMap { entry.schedule.nextFire(after: Self.date($0.lastRun)) }
        }
        if !state.sent {
            // Claimed by this beat or by a holder that died before recording the send: publish it (again).
            guard try await sendAndRecord(entry, state: state, resend: true) else {
                states = try await store.states(for: entries.map(\.name))
                return nil
            }
            state.sent = true
            states[entry.name] = state
        }
        guard let due = entry.schedule.nextFire(after: Self.date(state.lastRun)) else { return nil }
        let current = now()
        guard due <= current else { return due }
        // Missed several ticks (downtime): run once, and count the next one from now, as Celery does.
        let keepsUp = entry.schedule.nextFire(after: due).map { $0 > current } ?? true
        let tick = Self.millis(due)
        let claimed = BeatEntryState(tick: tick, lastRun: keepsUp ? tick : Self.millis(current), taskID: RandomID.uuid4(), sent: false)
        guard try await claim(entry, expected: state.tick, claimed) else { return nil }
        if try await sendAndRecord(entry, state: claimed, resend: false) {
            states[entry.name]?.sent = true
        }
        return entry.schedule.nextFire(after: Self.date(claimed.lastRun))
    }

    /// Publishes a claimed tick and records it as sent, in a task of its own so that stopping beat (cancelling
    /// `run`) cannot land between the two: a tick published but not recorded would be published again, with the
    /// same task id, by the next holder. Returns whether the record was accepted (the lease still held).
    private func sendAndRecord(_ entry: ScheduleEntry, state: BeatEntryState, resend: Bool) async throws -> Bool {
        try await Task { try await self.sendThenRecord(entry, state: state, resend: resend) }.value
    }

    private func sendThenRecord(_ entry: ScheduleEntry, state: BeatEntryState, resend: Bool) async throws -> Bool {
        try await send(entry, state: state, resend: resend)
        return try await store.markSent(entry: entry.name, tick: state.tick, holder: configuration.holderID)
    }

    /// Claims through the store; on a lost race, reloads the states (and the lease status on the next pass).
    @discardableResult
    private func claim(_ entry: ScheduleEntry, expected: Int64?, _ next: BeatEntryState) async throws -> Bool {
        if try await store.claim(entry: entry.name, expectedTick: expected, next: next, holder: configuration.holderID) {
            states[entry.name] = next
            return true
        }
        logger.debug("beat: claim refused (lease lost or entry moved on)", metadata: ["beat.entry": "\(entry.name)"])
        states = try await store.states(for: entries.map(\.name))
        renewAt = .distantPast
        return false
    }

    private func send(_ entry: ScheduleEntry, state: BeatEntryState, resend: Bool) async throws {
        var options = entry.options
        options.taskID = state.taskID
        // django-celery-beat stamps the entry's name on the message; django-celery-results then fills
        // `periodic_task_name`, so Django's admin shows which schedule sent a task.
        if options.headers["periodic_task_name"] == nil { options.headers["periodic_task_name"] = .string(entry.name) }
        logger.info(
            "beat: Scheduler: Sending due task \(entry.name) (\(entry.task))",
            metadata: [
                "beat.entry": "\(entry.name)", "beat.tick": "\(state.tick)", "celery.task.id": "\(state.taskID)",
                "beat.resend": "\(resend)", "beat.holder": "\(configuration.holderID)",
            ])
        do {
            _ = try await app.send(name: entry.task, args: entry.args, kwargs: entry.kwargs, options: options)
        } catch let error as CeleriacError where error.code == .messageTooLarge {
            // Sending again can't succeed: give this tick up (it is then marked sent) rather than retry forever.
            logger.error("beat: \(entry.name) cannot be sent; skipping this tick", metadata: ["beat.entry": "\(entry.name)", "error": "\(error)"])
        }
    }

    static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }
    static func date(_ millis: Int64) -> Date { Date(timeIntervalSince1970: Double(millis) / 1000) }
}

extension Duration {
    /// The duration in seconds.
    var secondsValue: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
