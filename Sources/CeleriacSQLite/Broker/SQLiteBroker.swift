import Celeriac
import Foundation
import Logging
import Synchronization

/// The embedded default broker: task messages in a SQLite file (`sqlite:///path/to.db`), shared safely by
/// any number of processes on one machine.
///
/// Messages follow kombu's virtual transport: ``receive(from:limit:timeout:)`` takes ready messages in
/// priority order (0 first, as kombu's Redis transport) then FIFO, and holds them unacked under a lease
/// of ``Configuration/visibilityTimeout``; each receive is one `BEGIN IMMEDIATE` transaction, so two
/// receivers (threads or processes) never get the same message. Leases that run out are restored to
/// the front of their queue, marked redelivered.
///
/// **Latency.** A receive that finds nothing waits without polling the database in a loop:
/// - a publish from the same process (any ``SQLiteBroker`` on the same file) wakes it immediately;
/// - on Linux, a publish from another process wakes it through inotify: the publisher rings the small
///   `<db>-notify-messages` file after its commit (``SQLiteNotifyFile``), typically within a millisecond;
/// - otherwise (no inotify, or an event lost) it looks again every ``Configuration/pollInterval``
///   (100 ms by default), which bounds the latency.
///
/// The database runs in WAL mode with `synchronous=NORMAL`: commits are not fsynced one by one, so a
/// power loss (not a crash of the process) may lose the last transactions.
///
/// ```swift
/// let broker = try await SQLiteBroker(path: "/var/lib/app/celery.db")
/// try await broker.publish(envelope, queue: "celery", priority: 0)
/// let deliveries = try await broker.receive(from: ["celery"], limit: 16, timeout: .seconds(1))
/// try await broker.ack(deliveries.map(\.tag))
/// await broker.close()
/// ```
public final class SQLiteBroker: Broker {
    /// The database file, as given.
    public let path: String
    /// The broker's settings.
    public let configuration: Configuration

    let connection: SQLiteConnection
    let signals: SQLiteFileSignals
    private let lastRestore = Mutex<ContinuousClock.Instant?>(nil)
    private let closed = Atomic<Bool>(false)

    /// Opens (creating if needed) the broker database at `path` and creates its tables when missing.
    /// - Parameters:
    ///   - path: the database file; `sqlite:///path/to.db` URLs are parsed by the caller.
    ///   - configuration: the settings.
    /// - Throws: `CeleriacError` (``CeleriacError/Code/brokerFailure``) when the file cannot be opened or
    ///   holds a newer schema.
    public init(path: String, configuration: Configuration = Configuration()) async throws {
        self.path = path
        self.configuration = configuration
        let connection = try await SQLiteConnection.open(path: path, busyTimeout: configuration.busyTimeout, errorCode: .brokerFailure)
        try await connection.perform { try SQLiteSchema.migrate($0) }
        self.connection = connection
        self.signals = SQLiteNotifier.shared.register(path: SQLitePath.canonical(path))
        configuration.logger.debug("opened SQLite broker", metadata: [SQLiteLogKey.path: "\(path)"])
    }

    deinit {
        if !closed.load(ordering: .acquiring) { SQLiteNotifier.shared.unregister(signals) }
    }

    /// Closes the database connection. Later calls throw ``CeleriacError/Code/closed``; receivers waiting
    /// on this broker wake up and throw it too.
    public func close() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        await connection.close()
        SQLiteNotifier.shared.unregister(signals)
        signals.messages.notify()
    }

    // MARK: - Publishing

    /// Appends an envelope to the back of `queue` at `priority` (clamped to 0...9) and wakes receivers.
    /// - Throws: `CeleriacError` when the database fails.
    public func publish(_ envelope: [UInt8], queue: String, priority: Int) async throws {
        try await publish(batch: [OutgoingEnvelope(envelope: envelope, queue: queue, priority: priority)])
    }

    /// Appends several envelopes in one transaction, in order, and wakes receivers.
    /// - Throws: `CeleriacError` when the database fails; then none is published.
    public func publish(batch: [OutgoingEnvelope]) async throws {
        guard !batch.isEmpty else { return }
        let now = SQLitePath.now()
        try await connection.perform { db in
            try db.transaction {
                for item in batch {
                    try Self.insert(db, envelope: item.envelope, queue: item.queue, priority: item.priority, redelivered: false, now: now)
                }
            }
        }
        signals.messagesChanged()
    }

    /// Inserts one ready message at the back of its queue.
    static func insert(
        _ db: isolated SQLiteConnection, envelope: [UInt8], queue: String, priority: Int, redelivered: Bool, now: Double
    ) throws {
        try db.run(
            "INSERT INTO celeriac_messages (queue, priority, tag, redelivered, published_at) VALUES (?, ?, ?, ?, ?)",
            [.text(queue), .integer(Int64(min(max(priority, 0), 9))), .text(newTag()), .integer(redelivered ? 1 : 0), .real(now)])
        try db.run("INSERT INTO celeriac_message_bodies (id, envelope) VALUES (last_insert_rowid(), ?)", [.blob(envelope)])
    }

    /// A new delivery tag: a random prefix per process and a counter, unique across processes and
    /// ordered within one, so consecutive messages' tags sit together in the tag index (random UUIDs
    /// made every insert and ack touch a different index page).
    static func newTag() -> String {
        let number = tagCounter.wrappingAdd(1, ordering: .relaxed).newValue
        let digits = String(number, radix: 16)
        return tagPrefix + String(repeating: "0", count: max(0, 12 - digits.count)) + digits
    }

    private static let tagPrefix = String(UInt64.random(in: 0...UInt64.max), radix: 16) + "-"
    private static let tagCounter = Atomic<UInt64>(0)

    // MARK: - Receiving

    /// Takes up to `limit` ready messages from `queues` (lowest priority number first, then FIFO) and holds
    /// them unacked for ``Configuration/visibilityTimeout``, waiting up to `timeout` for the first one.
    ///
    /// See the type's documentation for how a waiting receive is woken. Every
    /// ``Configuration/restoreInterval`` it also restores expired leases first.
    /// - Returns: the deliveries in priority then FIFO order; empty when nothing arrived within `timeout`.
    /// - Throws: `CeleriacError` when the database fails or the broker is closed; `CancellationError` when
    ///   the task is cancelled while waiting (no message is taken then).
    public func receive(from queues: [String], limit: Int, timeout: Duration) async throws -> [Delivery] {
        guard limit > 0, !queues.isEmpty else { return [] }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let generation = signals.messages.generation
            let restore = restoreIsDue(now: clock.now)
            let leaseUntil = SQLitePath.now() + configuration.visibilityTimeout.seconds
            let (deliveries, restored) = try await connection.perform { db in
                try Self.take(db, from: queues, limit: limit, leaseUntil: leaseUntil, restore: restore)
            }
            if restored > 0 { reportRestored(restored) }
            if !deliveries.isEmpty { return deliveries }
            let remaining = deadline - clock.now
            if remaining <= .zero { return [] }
            await signals.messages.wait(after: generation, timeout: min(remaining, configuration.pollInterval))
            try Task.checkCancellation()
        }
    }

    /// In one `BEGIN IMMEDIATE` transaction: restores expired leases when asked, picks the first `limit`
    /// ready rows across `queues` and marks them unacked.
    /// - Returns: the deliveries and how many leases were restored.
    static func take(
        _ db: isolated SQLiteConnection, from queues: [String], limit: Int, leaseUntil: Double, restore: Bool
    ) throws -> (deliveries: [Delivery], restored: Int) {
        // A read first, outside the write lock: an idle receiver woken by an unrelated write does not
        // contend with publishers.
        if !restore {
            var anyReady = false
            for queue in queues where !anyReady {
                anyReady = try db.integer("SELECT 1 FROM celeriac_messages WHERE queue = ? AND state = 0 LIMIT 1", [.text(queue)]) != nil
            }
            if !anyReady { return ([], 0) }
        }
        return try db.transaction {
            let restored = restore ? try restoreExpired(db, now: SQLitePath.now()) : 0
            var candidates: [(priority: Int64, id: Int64)] = []
            for queue in queues {
                try db.query(
                    "SELECT priority, id FROM celeriac_messages WHERE queue = ? AND state = 0 ORDER BY priority, id LIMIT ?",
                    [.text(queue), .integer(Int64(limit))]
                ) { row in candidates.append((row.int64(0), row.int64(1))) }
            }
            if queues.count > 1 { candidates.sort { ($0.priority, $0.id) < ($1.priority, $1.id) } }
            var deliveries: [Delivery] = []
            deliveries.reserveCapacity(min(limit, candidates.count))
            for candidate in candidates.prefix(limit) {
                var taken: (tag: String, queue: String, redelivered: Bool)?
                try db.query(
                    "UPDATE celeriac_messages SET state = 1, lease_until = ? WHERE id = ? RETURNING tag, queue, redelivered",
                    [.real(leaseUntil), .integer(candidate.id)]
                ) { row in taken = (row.text(0) ?? "", row.text(1) ?? "", row.int64(2) != 0) }
                guard let taken else { continue }
                var envelope: [UInt8] = []
                try db.query("SELECT envelope FROM celeriac_message_bodies WHERE id = ?", [.integer(candidate.id)]) { row in envelope = row.blob(0) }
                deliveries.append(Delivery(tag: DeliveryTag(taken.tag), queue: taken.queue, envelope: envelope, redelivered: taken.redelivered))
            }
            return (deliveries, restored)
        }
    }

    /// Whether receive should restore expired leases now; if so, records the time.
    private func restoreIsDue(now: ContinuousClock.Instant) -> Bool {
        lastRestore.withLock { last in
            if let previous = last, now - previous < configuration.restoreInterval { return false }
            last = now
            return true
        }
    }

    /// Logs restored messages and wakes receivers.
    func reportRestored(_ count: Int) {
        configuration.logger.info(
            "restored unacked messages whose lease ran out", metadata: [SQLiteLogKey.count: "\(count)", SQLiteLogKey.path: "\(path)"])
        signals.messagesChanged()
    }
}
