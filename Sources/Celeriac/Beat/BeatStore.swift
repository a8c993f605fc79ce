/// What a ``BeatStore`` keeps for one entry: its last claimed tick and whether that tick's message went out.
public struct BeatEntryState: Sendable, Hashable {
    /// The scheduled time of the last claimed tick, in whole milliseconds since 1970: the tick's identity,
    /// compared and swapped atomically when a beat claims the next one.
    public var tick: Int64
    /// The "last run" the next tick is computed from (milliseconds since 1970): the tick itself while beat
    /// keeps up, the claim time after missed ticks (so missed ticks run once, as in Celery).
    public var lastRun: Int64
    /// The task id of the claimed tick's message (empty for the state seeded when the entry was first seen).
    public var taskID: String
    /// Whether the message of the claimed tick was published.
    public var sent: Bool

    /// Creates a state.
    public init(tick: Int64, lastRun: Int64, taskID: String, sent: Bool) {
        self.tick = tick
        self.lastRun = lastRun
        self.taskID = taskID
        self.sent = sent
    }
}

/// Where beats keep their lease and the state of each entry, shared by every beat replica.
///
/// **One sender per tick.** Replicas compete for one lease (a holder id with a time to live); only the holder
/// sends. The holder claims each tick with ``claim(entry:expectedTick:next:holder:)``, a compare-and-set on
/// the entry's last tick that succeeds only while it still holds the lease, publishes the message, then
/// records it with ``markSent(entry:tick:holder:)``. A holder that dies between the claim and the mark
/// leaves the tick claimed but unsent; the next holder publishes it again under the same task id.
///
/// Implementations: `SQLiteBeatStore` (CeleriacSQLite), `RedisBeatStore` (CeleriacRedis).
public protocol BeatStore: Sendable {
    /// Takes the lease for `holder` when nobody holds it or it expired, or extends it when `holder` holds it.
    /// - Returns: whether `holder` holds the lease for `ttl` from now.
    func acquireLease(holder: String, ttl: Duration) async throws -> Bool

    /// Extends the lease by `ttl` from now, only if `holder` still holds it.
    /// - Returns: `false` when the lease was lost (expired and taken, or released).
    func renewLease(holder: String, ttl: Duration) async throws -> Bool

    /// Gives the lease up, only if `holder` holds it, so another replica takes over at once.
    func releaseLease(holder: String) async throws

    /// The current holder, or `nil` when the lease is free or expired.
    func leaseHolder() async throws -> String?

    /// The stored state of each named entry that has one.
    func states(for entries: [String]) async throws -> [String: BeatEntryState]

    /// Atomically: if `holder` holds the lease and the entry's stored tick is `expectedTick` (`nil`: the entry
    /// has no state yet), stores `next`.
    /// - Returns: whether `next` was stored.
    func claim(entry: String, expectedTick: Int64?, next: BeatEntryState, holder: String) async throws -> Bool

    /// Atomically: if `holder` holds the lease and the entry's stored tick is `tick`, records it as sent.
    /// - Returns: whether it was recorded.
    func markSent(entry: String, tick: Int64, holder: String) async throws -> Bool

    /// Closes what the store opened.
    func close() async
}
