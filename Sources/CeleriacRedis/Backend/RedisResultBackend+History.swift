import Celeriac
import CeleriacRESP
import NIOCore

extension RedisResultBackend: ResultHistory {
    /// The most many result keys ``recentResults(limit:)`` reads, so a huge backend cannot stall a dashboard.
    static let historyScanCap = 20_000

    /// Up to `limit` stored results, newest `date_done` first: `SCAN MATCH celery-task-meta-*` (at most
    /// 20 000 keys), then `MGET` in batches. Values that are not result metadata are skipped.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/backendFailure``) when Redis fails.
    public func recentResults(limit: Int) async throws -> [ResultMeta] {
        guard limit > 0 else { return [] }
        let pattern = prefix.replacingGlobCharacters() + "celery-task-meta-*"
        var keys: [String] = []
        var cursor = "0"
        do {
            repeat {
                let reply = try await client.send(RESPCommand("SCAN", .string(cursor), "MATCH", .string(pattern), "COUNT", 1000))
                guard let parts = reply.elements, parts.count == 2, let next = parts[0].string else { break }
                keys += (parts[1].elements ?? []).compactMap(\.string)
                cursor = next
            } while cursor != "0" && keys.count < Self.historyScanCap
            var results: [ResultMeta] = []
            var start = 0
            while start < keys.count {
                let batch = Array(keys[start..<min(keys.count, start + 500)])
                start += batch.count
                let values = try await client.send(RESPCommand("MGET", arguments: batch.map { .string($0) })).elements ?? []
                for value in values {
                    guard let buffer = value.bytes, let object = try? JSONValue.parse(buffer.readableBytesView).objectValue,
                        let meta = try? ResultMeta(json: object)
                    else { continue }
                    results.append(meta)
                }
            }
            results.sort(by: ResultMeta.newestFirst)
            return Array(results.prefix(limit))
        } catch {
            throw Self.failure("listing results", error)
        }
    }
}
