import Celeriac
import CeleriacRESP
import Foundation

/// The ``BeatStore`` on Redis: the lease is a key taken with `SET key holder NX PX ttl` (Redis expires it, by
/// the server's clock), renewed and released by compare scripts; each entry's state is a hash, claimed and
/// marked sent by scripts that check the lease holder and the expected tick in one atomic step.
///
/// Keys (after the transport's `global_keyprefix`): `celeriac.beat.<name>.lease` and
/// `celeriac.beat.<name>.entry.<entry>` (fields `tick`, `last_run`, `task_id`, `sent`), with `<name>` the
/// lease name, `default` unless set. Celery itself keeps no beat state in Redis, so these keys touch nothing
/// of kombu's.
/// ```swift
/// let store = RedisBeatStore(client: broker.client, keyPrefix: "")
/// ```
public final class RedisBeatStore: BeatStore {
    /// The client the store uses.
    public let client: RESPClient
    /// The `global_keyprefix`.
    public let keyPrefix: String
    /// The lease's name: beats with different names do not compete.
    public let leaseName: String
    private let ownsClient: Bool

    /// Creates a store on a client.
    /// - Parameters:
    ///   - client: the Redis client (the broker's may be shared).
    ///   - keyPrefix: the transport's `global_keyprefix`.
    ///   - leaseName: the lease's name ("default").
    ///   - ownsClient: whether ``close()`` closes the client (not when it is the broker's).
    public init(client: RESPClient, keyPrefix: String = "", leaseName: String = "default", ownsClient: Bool = false) {
        self.client = client
        self.keyPrefix = keyPrefix
        self.leaseName = leaseName
        self.ownsClient = ownsClient
    }

    /// The lease key.
    public var leaseKey: String { keyPrefix + "celeriac.beat.\(leaseName).lease" }

    /// The hash key of an entry's state.
    public func entryKey(_ entry: String) -> String { keyPrefix + "celeriac.beat.\(leaseName).entry.\(entry)" }

    /// Closes the client if the store owns it.
    public func close() async {
        if ownsClient { await client.close() }
    }

    /// Takes or extends the lease (see ``BeatStore``).
    public func acquireLease(holder: String, ttl: Duration) async throws -> Bool {
        try await redis("acquiring the beat lease") {
            let set = try await client.send(
                RESPCommand("SET", .string(leaseKey), .string(holder), .string("NX"), .string("PX"), .integer(Self.millis(ttl))))
            if set.string == "OK" { return true }
            return try await RedisBeatScripts.renew.run(on: client, keys: [leaseKey], arguments: [.string(holder), .integer(Self.millis(ttl))]).int == 1
        }
    }

    /// Extends the lease if `holder` still holds it.
    public func renewLease(holder: String, ttl: Duration) async throws -> Bool {
        try await redis("renewing the beat lease") {
            try await RedisBeatScripts.renew.run(on: client, keys: [leaseKey], arguments: [.string(holder), .integer(Self.millis(ttl))]).int == 1
        }
    }

    /// Deletes the lease if `holder` holds it.
    public func releaseLease(holder: String) async throws {
        _ = try await redis("releasing the beat lease") {
            try await RedisBeatScripts.release.run(on: client, keys: [leaseKey], arguments: [.string(holder)])
        }
    }

    /// The unexpired holder, or `nil`.
    public func leaseHolder() async throws -> String? {
        try await redis("reading the beat lease") { try await client.send(RESPCommand("GET", .string(leaseKey))).string }
    }

    /// The stored states of the named entries.
    public func states(for entries: [String]) async throws -> [String: BeatEntryState] {
        try await redis("reading beat entries") {
            var states: [String: BeatEntryState] = [:]
            for entry in entries {
                let reply = try await client.send(
                    RESPCommand("HMGET", .string(entryKey(entry)), .string("tick"), .string("last_run"), .string("task_id"), .string("sent")))
                let fields = (reply.elements ?? []).map(\.string)
                guard fields.count == 4, let tick = fields[0].flatMap({ Int64($0) }), let lastRun = fields[1].flatMap({ Int64($0) }) else { continue }
                states[entry] = BeatEntryState(tick: tick, lastRun: lastRun, taskID: fields[2] ?? "", sent: fields[3] == "1")
            }
            return states
        }
    }

    /// Compare-and-set of the entry's tick, only while `holder` holds the lease.
    public func claim(entry: String, expectedTick: Int64?, next: BeatEntryState, holder: String) async throws -> Bool {
        try await redis("claiming a beat tick") {
            try await RedisBeatScripts.claim.run(
                on: client, keys: [leaseKey, entryKey(entry)],
                arguments: [
                    .string(holder), .string(expectedTick.map(String.init) ?? ""), .string(String(next.tick)), .string(String(next.lastRun)),
                    .string(next.taskID), .string(next.sent ? "1" : "0"),
                ]
            ).int == 1
        }
    }

    /// Records the tick as sent, only while `holder` holds the lease and the tick is current.
    public func markSent(entry: String, tick: Int64, holder: String) async throws -> Bool {
        try await redis("recording a beat send") {
            try await RedisBeatScripts.markSent.run(
                on: client, keys: [leaseKey, entryKey(entry)], arguments: [.string(holder), .string(String(tick))]
            ).int == 1
        }
    }

    private func redis<T>(_ doing: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as RESPError {
            throw CeleriacError(.brokerFailure, "Redis failed while \(doing)", underlying: error)
        }
    }

    private static func millis(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}
