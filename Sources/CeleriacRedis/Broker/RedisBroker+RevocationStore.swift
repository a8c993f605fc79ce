import Celeriac
import CeleriacRESP
import NIOCore

extension RedisBroker: RevocationStore {
    /// Records revoked task ids in the sorted set `celeriac.revoked`, each scored by a new sequence number
    /// (`INCR celeriac.revoked.seq`); the newest 50,000 are kept.
    /// - Throws: ``CeleriacError`` when Redis fails.
    public func revoke(_ taskIDs: [String]) async throws {
        guard !taskIDs.isEmpty else { return }
        try checkOpen()
        try await run(RedisScripts.revoke, keys: [keys.revoked, keys.revokedSequence], arguments: taskIDs.map { .string($0) }, "recording revocations")
    }

    /// The ids revoked after `sequence`, in order, and the sequence to pass next time.
    /// - Throws: ``CeleriacError`` when Redis fails.
    public func revokedTaskIDs(after sequence: Int64) async throws -> (ids: [String], next: Int64) {
        try checkOpen()
        let reply = try await send(
            RESPCommand("ZRANGEBYSCORE", .string(keys.revoked), .string("(\(sequence)"), "+inf", "WITHSCORES"), "reading revocations")
        let items = reply.elements ?? []
        var ids: [String] = []
        var next = sequence
        var index = 0
        while index + 1 < items.count {
            if let id = items[index].string { ids.append(id) }
            if let score = items[index + 1].string.flatMap(Double.init) { next = max(next, Int64(score)) }
            index += 2
        }
        return (ids, next)
    }
}
