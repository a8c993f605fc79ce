import Celeriac
import CeleriacRESP
import Foundation
import NIOCore
import Synchronization

extension RedisBroker: DeadLetterStore {
    /// Stores a dead letter in the hash `celeriac.dead_letters` (id → JSON record) and its date in the sorted
    /// set `celeriac.dead_letters.index`, in one transaction. Python Celery ignores both keys.
    /// - Throws: ``CeleriacError`` when Redis fails.
    public func deadLetter(_ entry: DeadLetter) async throws {
        try checkOpen()
        let record = Self.record(entry).serializedBytes(.compact)
        try await run([
            RESPCommand("MULTI"),
            RESPCommand("HSET", .string(keys.deadLetters), .string(entry.id), .bytes(ByteBuffer(bytes: record))),
            RESPCommand("ZADD", .string(keys.deadLetterIndex), .double(entry.date.timeIntervalSince1970), .string(entry.id)),
            RESPCommand("EXEC"),
        ], "storing a dead letter")
    }

    /// Lists dead letters, oldest first.
    /// - Parameter limit: the most to return.
    /// - Throws: ``CeleriacError`` when Redis fails.
    public func deadLetters(limit: Int) async throws -> [DeadLetter] {
        try checkOpen()
        guard limit > 0 else { return [] }
        let ids = (try await send(RESPCommand("ZRANGE", .string(keys.deadLetterIndex), 0, .integer(limit - 1)), "listing dead letters")
            .elements ?? []).compactMap(\.string)
        guard !ids.isEmpty else { return [] }
        let values = try await send(RESPCommand("HMGET", arguments: [.string(keys.deadLetters)] + ids.map { .string($0) }), "reading dead letters")
            .elements ?? []
        return zip(ids, values).compactMap { id, value in value.bytes.flatMap { Self.deadLetter(id: id, record: $0) } }
    }

    /// One dead letter by id, or `nil`.
    /// - Throws: ``CeleriacError`` when Redis fails.
    public func deadLetter(id: String) async throws -> DeadLetter? {
        try checkOpen()
        let value = try await send(RESPCommand("HGET", .string(keys.deadLetters), .string(id)), "reading a dead letter")
        return value.bytes.flatMap { Self.deadLetter(id: id, record: $0) }
    }

    /// Publishes a dead letter's envelope again (`LPUSH` to the back of its queue, or of `queue`) and removes
    /// it, atomically.
    /// - Returns: `false` when there is no dead letter with that id.
    /// - Throws: ``CeleriacError`` when Redis fails.
    public func requeueDeadLetter(id: String, queue: String?) async throws -> Bool {
        guard let letter = try await deadLetter(id: id) else { return false }
        let target = queue ?? letter.queue
        let priority = (try? JSONValue.parse(letter.envelope).objectValue).map { RedisEnvelope.priority(of: $0) } ?? 0
        try await run(bindingCommands(target), "declaring a queue")
        state.withLock { _ = $0.declared.insert(target) }
        let moved = try await run(
            RedisScripts.requeueDeadLetter, keys: [keys.deadLetters, keys.deadLetterIndex, keys.list(target, priority: priority)],
            arguments: [.string(id), .bytes(ByteBuffer(bytes: letter.envelope))], "requeueing a dead letter")
        return moved.int == 1
    }

    /// Deletes a dead letter.
    /// - Returns: `false` when there is no dead letter with that id.
    /// - Throws: ``CeleriacError`` when Redis fails.
    public func deleteDeadLetter(id: String) async throws -> Bool {
        try checkOpen()
        let replies = try await run([
            RESPCommand("MULTI"),
            RESPCommand("HDEL", .string(keys.deadLetters), .string(id)),
            RESPCommand("ZREM", .string(keys.deadLetterIndex), .string(id)),
            RESPCommand("EXEC"),
        ], "deleting a dead letter")
        return replies.last?.elements?.first?.int == 1
    }

    /// The JSON record of a dead letter; the envelope as text when it is UTF-8, else base64.
    static func record(_ entry: DeadLetter) -> JSONValue {
        var object: JSONObject = [
            "queue": .string(entry.queue),
            "task_id": entry.taskID.map(JSONValue.string) ?? .null,
            "task_name": entry.taskName.map(JSONValue.string) ?? .null,
            "reason": .string(entry.reason),
            "date": .double(entry.date.timeIntervalSince1970),
        ]
        if let text = String(validating: entry.envelope, as: UTF8.self) {
            object["envelope"] = .string(text)
            object["envelope_encoding"] = "utf-8"
        } else {
            object["envelope"] = .string(Data(entry.envelope).base64EncodedString())
            object["envelope_encoding"] = "base64"
        }
        return .object(object)
    }

    /// Reads a dead-letter record; `nil` when it is malformed.
    static func deadLetter(id: String, record: ByteBuffer) -> DeadLetter? {
        guard let object = try? JSONValue.parse(record.readableBytesView).objectValue, let text = object["envelope"]?.stringValue else { return nil }
        let envelope: [UInt8]
        if object["envelope_encoding"]?.stringValue == "base64" {
            guard let data = Data(base64Encoded: text) else { return nil }
            envelope = Array(data)
        } else {
            envelope = Array(text.utf8)
        }
        return DeadLetter(
            id: id, queue: object["queue"]?.stringValue ?? "", taskID: object["task_id"]?.stringValue,
            taskName: object["task_name"]?.stringValue, reason: object["reason"]?.stringValue ?? "", envelope: envelope,
            date: Date(timeIntervalSince1970: object["date"]?.doubleValue ?? 0))
    }
}
