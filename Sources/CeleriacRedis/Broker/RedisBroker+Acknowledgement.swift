import Celeriac
import CeleriacRESP
import Foundation
import Logging
import NIOCore
import Synchronization

extension RedisBroker {
    /// Acknowledges deliveries in one transaction: `MULTI; ZREM unacked_index tags...; HDEL unacked tags...; EXEC`
    /// (kombu's `QoS.ack`, batched).
    /// - Throws: ``CeleriacError`` when Redis fails.
    public func ack(_ tags: [DeliveryTag]) async throws {
        guard !tags.isEmpty else { return }
        try checkOpen()
        let names = tags.map(\.rawValue)
        state.withLock { state in for name in names { state.untracked[name] = nil } }
        let members = names.map { RESPCommand.Argument.string($0) }
        try await run([
            RESPCommand("MULTI"),
            RESPCommand("ZREM", arguments: [.string(keys.unackedIndex)] + members),
            RESPCommand("HDEL", arguments: [.string(keys.unacked)] + members),
            RESPCommand("EXEC"),
        ], "acknowledging messages")
    }

    /// Rejects a delivery. Without `requeue` it is dropped (kombu acks it); with `requeue` it goes to the
    /// back of its queue with `LPUSH`, marked redelivered (kombu's `restore_by_tag(leftmost=True)`).
    /// - Throws: ``CeleriacError`` when Redis fails.
    public func reject(_ tag: DeliveryTag, requeue: Bool) async throws {
        if requeue {
            try await restore([tag], push: "LPUSH")
        } else {
            try await ack([tag])
        }
    }

    /// Gives deliveries back to the front of their queues, marked redelivered, keeping their delivery tags
    /// (kombu's `restore_by_tag`: `ZREM`, `HDEL` and `RPUSH`, here in one atomic script for all tags).
    /// - Throws: ``CeleriacError`` when Redis fails.
    public func giveBack(_ tags: [DeliveryTag]) async throws {
        try await restore(tags, push: "RPUSH")
    }

    /// Refreshes the `unacked_index` score of held deliveries to now (`ZADD unacked_index XX <now> <tag>...`),
    /// so `restore_visible`, Celeriac's or Python's, never takes a live worker's messages.
    /// - Throws: ``CeleriacError`` when Redis fails.
    public func extendLeases(_ tags: [DeliveryTag]) async throws {
        guard !tags.isEmpty else { return }
        try checkOpen()
        let now = unixTime()
        var arguments: [RESPCommand.Argument] = [.string(keys.unackedIndex), "XX"]
        arguments.reserveCapacity(2 + tags.count * 2)
        for tag in tags { arguments += [.double(now), .string(tag.rawValue)] }
        try await send(RESPCommand("ZADD", arguments: arguments), "extending message leases")
    }

    /// kombu's `restore_visible`: under the `unacked_mutex` lock (`SET NX PX 300000`), restores every unacked
    /// message whose `unacked_index` score is older than the visibility timeout to the front of its queue,
    /// then releases the lock if it still holds this broker's token.
    /// - Returns: how many messages were restored; 0 when another consumer holds the lock.
    /// - Throws: ``CeleriacError`` when Redis fails.
    public func restoreExpiredLeases() async throws -> Int {
        try checkOpen()
        let token = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let locked = try await send(
            RESPCommand("SET", .string(keys.unackedMutex), .string(token), "NX", "PX", 300_000), "locking unacked_mutex")
        guard !locked.isNull else { return 0 }
        do {
            let restored = try await restoreExpiredLocked()
            try await run(RedisScripts.releaseMutex, keys: [keys.unackedMutex], arguments: [.string(token)], "releasing unacked_mutex")
            return restored
        } catch {
            _ = try? await RedisScripts.releaseMutex.run(on: client, keys: [keys.unackedMutex], arguments: [.string(token)])
            throw error
        }
    }

    private func restoreExpiredLocked() async throws -> Int {
        let ceiling = unixTime() - configuration.visibilityTimeout.secondsValue
        let batch = max(1, configuration.restoreBatchSize)
        var total = 0
        while true {
            let reply = try await send(
                RESPCommand("ZREVRANGEBYSCORE", .string(keys.unackedIndex), .double(ceiling), 0, "LIMIT", 0, .integer(batch)),
                "reading expired unacked messages")
            let tags = (reply.elements ?? []).compactMap(\.string)
            guard !tags.isEmpty else { return total }
            let restored = try await restoreTracked(tags, push: "RPUSH", ceiling: ceiling)
            total += restored
            // Entries the script skipped (acked or extended meanwhile) are gone from the range or newer than it;
            // stop when a whole batch made no progress, so a malformed entry can't loop forever.
            if tags.count < batch || restored == 0 { return total }
        }
    }

    /// Restores deliveries with `RPUSH` (front) or `LPUSH` (back); untracked ones from memory.
    func restore(_ tags: [DeliveryTag], push: String) async throws {
        guard !tags.isEmpty else { return }
        try checkOpen()
        let untracked = state.withLock { state in
            tags.compactMap { tag in state.untracked.removeValue(forKey: tag.rawValue).map { (tag.rawValue, $0) } }
        }
        if !untracked.isEmpty {
            let commands = untracked.map { RESPCommand(push, .string(keys.list($0.1.queue, step: 0)), .bytes(ByteBuffer(bytes: $0.1.envelope))) }
            try await run(commands, "giving back messages")
        }
        let held = Set(untracked.map(\.0))
        let tracked = tags.map(\.rawValue).filter { !held.contains($0) }
        if !tracked.isEmpty { _ = try await restoreTracked(tracked, push: push, ceiling: nil) }
    }

    /// Reads the `unacked` entries of `tags` and pushes them back in one atomic script; entries changed or
    /// removed meanwhile (acked, restored by someone else) are left alone.
    func restoreTracked(_ tags: [String], push: String, ceiling: Double?) async throws -> Int {
        let reply = try await send(
            RESPCommand("HMGET", arguments: [.string(keys.unacked)] + tags.map { .string($0) }), "reading unacked messages")
        let values = reply.elements ?? []
        var scriptKeys = [keys.unacked, keys.unackedIndex]
        var arguments: [RESPCommand.Argument] = [.string(push), .string(ceiling.map { RESPCommand.Argument.double($0).text } ?? "")]
        var orphans: [String] = []
        for (tag, value) in zip(tags, values) {
            guard let buffer = value.bytes else {
                // An index entry without its hash entry (kombu's restore_by_tag drops those too).
                if ceiling != nil { orphans.append(tag) }
                continue
            }
            let stored = Array(buffer.readableBytesView)
            guard let restored = RedisEnvelope.restorePayload(fromUnacked: stored) else {
                logger.warning("an unacked entry is not [envelope, exchange, routing_key]; dropping it", metadata: ["celeriac.delivery_tag": "\(tag)"])
                orphans.append(tag)
                continue
            }
            scriptKeys.append(keys.list(restored.queue, priority: restored.priority))
            arguments += [.string(tag), .bytes(buffer), .bytes(ByteBuffer(bytes: restored.payload))]
        }
        if !orphans.isEmpty {
            let members = orphans.map { RESPCommand.Argument.string($0) }
            try await run([
                RESPCommand("ZREM", arguments: [.string(keys.unackedIndex)] + members),
                RESPCommand("HDEL", arguments: [.string(keys.unacked)] + members),
            ], "dropping malformed unacked entries")
        }
        guard scriptKeys.count > 2 else { return 0 }
        let result = try await run(RedisScripts.restore, keys: scriptKeys, arguments: arguments, "restoring messages")
        return result.int ?? 0
    }
}
