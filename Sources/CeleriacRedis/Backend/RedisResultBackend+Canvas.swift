import Celeriac
import CeleriacRESP
import Foundation
import Logging
import NIOCore

/// Groups and chords on Redis, exactly as Celery 5.7's `RedisBackend` keeps them: a saved group under
/// `celery-taskset-meta-<gid>` (`{"result": as_tuple}`), a chord's join in `<that key>.j` (a sorted set of
/// `[1, task_id, state, result]` by header index), its size in `.s`, its size adjustments in `.t`, the
/// members seen in `.d` and the body's dispatch claim in `.c`, all changed by Celery's own Lua scripts.
/// A Python worker and a Swift worker can therefore each run part of one chord's header.
extension RedisResultBackend {
    /// The key of a saved group and the prefix of its chord keys: `celery-taskset-meta-<id>`.
    public func groupKey(for groupID: String, suffix: String = "") -> String {
        prefix + "celery-taskset-meta-" + groupID + suffix
    }

    /// Seconds the chord keys live (Celery's `chord_expires`: `result_chord_expires`, else
    /// `result_expires`), 0 for no expiry.
    var chordExpiresSeconds: Int {
        guard let expires = configuration.resultExpires, expires > .zero else { return 0 }
        return max(1, Int(expires.secondsValue.rounded()))
    }

    /// Saves a group as Celery's `GroupResult.save()`: `SETEX key <result_expires> {"result": tuple}` and
    /// `PUBLISH` in one `MULTI`.
    /// - Throws: ``CeleriacError`` when Redis fails.
    public func saveGroup(id: String, result: JSONValue) async throws {
        let key = groupKey(for: id)
        let json = ByteBuffer(bytes: JSONValue.object(["result": result]).serializedBytes(.python))
        let write = chordExpiresSeconds > 0
            ? RESPCommand("SETEX", .string(key), .integer(chordExpiresSeconds), .bytes(json))
            : RESPCommand("SET", .string(key), .bytes(json))
        let replies = try await canvasPipeline([RESPCommand("MULTI"), write, RESPCommand("PUBLISH", .string(key), .bytes(json)), RESPCommand("EXEC")], "saving a group")
        if let failure = replies.compactMap(\.errorMessage).first {
            throw CeleriacError(.backendFailure, "Redis refused saving group \(id): \(failure)")
        }
    }

    /// A saved group's tuple (`GET celery-taskset-meta-<id>`), or `nil`.
    /// - Throws: ``CeleriacError`` when Redis fails or the value is not Celery's group JSON.
    public func restoreGroup(id: String) async throws -> JSONValue? {
        let reply = try await canvasPipeline([RESPCommand("GET", .string(groupKey(for: id)))], "restoring a group")
        guard let buffer = reply.first?.bytes else { return nil }
        guard let result = (try? JSONValue.parse(buffer.readableBytesView))?.objectValue?["result"] else {
            throw CeleriacError(.malformedResult, "the saved group \(id) is not Celery's group JSON")
        }
        return result
    }

    /// Deletes a saved group (`DEL`).
    public func forgetGroup(id: String) async throws {
        _ = try await canvasPipeline([RESPCommand("DEL", .string(groupKey(for: id)))], "deleting a group")
    }

    /// Celery's `set_chord_size`: `DEL <gkey>.c` (a new run), then `SET <gkey>.s <size> EX <chord_expires>`.
    public func setChordSize(groupID: String, size: Int) async throws {
        var set = [RESPCommand.Argument.string(groupKey(for: groupID, suffix: ".s")), .string(String(size))]
        if chordExpiresSeconds > 0 { set += [.string("EX"), .integer(chordExpiresSeconds)] }
        _ = try await canvasPipeline([RESPCommand("DEL", .string(groupKey(for: groupID, suffix: ".c")))], "starting a chord")
        let replies = try await canvasPipeline([RESPCommand("SET", arguments: set)], "starting a chord")
        if let failure = replies.compactMap(\.errorMessage).first {
            throw CeleriacError(.backendFailure, "Redis refused the chord size of \(groupID): \(failure)")
        }
    }

    /// Celery's `on_chord_part_return`: runs `CHORD_PART_RETURN_LUA`; when it claims the body, reads the
    /// join (`ZRANGE .j 0 -1`) and extends the claim for publishing (`CHORD_CLAIM_EXTEND_LUA`).
    public func chordPartReturn(_ part: ChordPart) async throws -> ChordJoin {
        let gid = part.groupID
        let keys = [".j", ".t", ".s", ".d", "", ".c"].map { groupKey(for: gid, suffix: $0) }
        let token = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let encoded = ByteBuffer(bytes: part.joinEntry.serializedBytes(.python))
        let arguments: [RESPCommand.Argument] = [
            .string(part.taskID), .bytes(encoded), .string("1"), .string(part.groupIndex.map(String.init) ?? "+inf"),
            .integer(chordExpiresSeconds), .integer(chordExpiresSeconds), .integer(Self.claimExpires), .string(token),
        ]
        let reply: RESPValue
        do {
            reply = try await RedisChordScripts.partReturn.run(on: client, keys: keys, arguments: arguments)
        } catch {
            throw Self.failure("joining a chord", error)
        }
        guard let fields = reply.elements, fields.count == 4, let ready = fields[0].int else {
            throw CeleriacError(.backendFailure, "unexpected reply from the chord script: \(reply)")
        }
        if ready == -1 { return .finished }
        guard let size = fields[2].int, fields[3].int == 1, ready == size + (fields[1].int ?? 0) else { return .pending }
        let entries = try await canvasPipeline([RESPCommand("ZRANGE", .string(keys[0]), .integer(0), .integer(-1))], "reading a chord's join")
        var parts: [ChordPart] = []
        for (index, entry) in (entries.first?.elements ?? []).enumerated() {
            guard let buffer = entry.bytes, let value = try? JSONValue.parse(buffer.readableBytesView),
                let joined = ChordPart(groupID: gid, joinEntry: value, groupIndex: index)
            else {
                throw CeleriacError(.malformedResult, "a joined result of chord \(gid) is not Celery's [1, id, state, result]")
            }
            parts.append(joined)
        }
        let extended: RESPValue
        do {
            extended = try await RedisChordScripts.claimExtend.run(
                on: client, keys: [keys[5], keys[2]], arguments: [.string(token), .integer(Self.publishClaimExpires)])
        } catch {
            throw Self.failure("claiming a chord's body", error)
        }
        guard extended.int == 1 else {
            configuration.logger.warning("chord body not sent: the dispatch claim is no longer this worker's", metadata: ["celery.group.id": "\(gid)"])
            return .pending
        }
        return .ready(parts, claim: token)
    }

    /// After the body was sent: `CHORD_CLEANUP_LUA` (join deleted, `.c` set to `done` for 300 s); after a
    /// `ChordError`: `DEL .s`, as Celery does.
    public func endChord(groupID: String, claim: String?, bodySent: Bool) async throws {
        let keys = [".c", ".j", ".t", ".s", ".d"].map { groupKey(for: groupID, suffix: $0) }
        if bodySent, let claim {
            do {
                _ = try await RedisChordScripts.cleanup.run(on: client, keys: keys, arguments: [.string(claim), .integer(Self.doneExpires)])
            } catch {
                throw Self.failure("cleaning up a chord", error)
            }
        } else {
            _ = try await canvasPipeline([RESPCommand("DEL", .string(keys[3]))], "ending a chord")
        }
    }

    /// Celery's claim lifetime with the default `result_chord_join_timeout` of 3 s: `max(5, int(3 * 2))`.
    static let claimExpires = 6
    /// The claim's lifetime while the body is published, with Celery's default publish retry policy and
    /// `broker_connection_timeout` of 4 s: `ceil((3 + 1) * 4 + 0.6 + 4)`.
    static let publishClaimExpires = 21
    /// How long `.c` says `done` after the body was sent: `max(claimExpires * 2, 300)`.
    static let doneExpires = 300

    private func canvasPipeline(_ commands: [RESPCommand], _ what: String) async throws -> [RESPValue] {
        do {
            return try await client.pipeline(commands)
        } catch {
            throw Self.failure(what, error)
        }
    }
}
