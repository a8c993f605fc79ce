import Celeriac
import CeleriacRESP
import Foundation
import NIOCore

extension RedisBroker {
    /// Deletes every message waiting in `queue` (its four priority lists), like kombu's `_purge`.
    /// - Returns: how many messages were deleted.
    /// - Throws: ``CeleriacError`` when Redis fails.
    public func purge(queue: String) async throws -> Int {
        try checkOpen()
        let lists = keys.lists(queue)
        let replies = try await run(
            [RESPCommand("MULTI")] + lists.map { RESPCommand("LLEN", .string($0)) } + [RESPCommand("DEL", arguments: lists.map { .string($0) }), RESPCommand("EXEC")],
            "purging a queue")
        let counts = replies.last?.elements ?? []
        return counts.prefix(lists.count).reduce(0) { $0 + ($1.int ?? 0) }
    }

    /// The waiting and unacked message counts of every queue bound in kombu's binding sets (found with
    /// `SCAN`), except the pidbox, reply and event queues. Unacked counts come from the routing keys of
    /// the `unacked` entries.
    /// - Throws: ``CeleriacError`` when Redis fails.
    public func queueDepths() async throws -> [QueueDepth] {
        try checkOpen()
        let queues = try await boundQueues()
        var unacked: [String: Int] = [:]
        let values = try await send(RESPCommand("HVALS", .string(keys.unacked)), "reading unacked messages").elements ?? []
        for value in values {
            guard let buffer = value.bytes, case .array(let items)? = try? JSONValue.parse(buffer.readableBytesView),
                items.count >= 3, let routingKey = items[2].stringValue
            else { continue }
            unacked[routingKey, default: 0] += 1
        }
        let names = Array(Set(queues).union(unacked.keys)).sorted()
        guard !names.isEmpty else { return [] }
        let replies = try await run(names.flatMap { keys.lists($0).map { RESPCommand("LLEN", .string($0)) } }, "reading queue lengths")
        return names.enumerated().map { index, name in
            let ready = replies[(index * 4)..<(index * 4 + 4)].reduce(0) { $0 + ($1.int ?? 0) }
            return QueueDepth(queue: name, ready: ready, unacked: unacked[name] ?? 0)
        }
    }

    /// The queues named in `_kombu.binding.*` sets, without pidbox, reply and event queues.
    func boundQueues() async throws -> [String] {
        let pattern = keys.prefix.replacingGlobCharacters() + "_kombu.binding.*"
        var cursor = "0"
        var sets: [String] = []
        repeat {
            let reply = try await send(RESPCommand("SCAN", .string(cursor), "MATCH", .string(pattern), "COUNT", 1000), "listing queues")
            guard let parts = reply.elements, parts.count == 2, let next = parts[0].string else { break }
            sets += (parts[1].elements ?? []).compactMap(\.string)
            cursor = next
        } while cursor != "0"
        guard !sets.isEmpty else { return [] }
        let members = try await run(sets.map { RESPCommand("SMEMBERS", .string($0)) }, "reading bindings")
        var queues = Set<String>()
        for reply in members {
            for member in (reply.elements ?? []).compactMap(\.string) {
                guard let queue = member.components(separatedBy: RedisKeys.separator).last, !queue.isEmpty else { continue }
                if queue.hasSuffix(".pidbox") || queue.hasPrefix("celeryev.") { continue }
                queues.insert(queue)
            }
        }
        return Array(queues)
    }
}

extension String {
    /// The text with Redis glob characters escaped, for a literal prefix in a `SCAN MATCH` pattern.
    func replacingGlobCharacters() -> String {
        var out = ""
        for character in self {
            if "*?[]\\".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }
}
