import Celeriac
import CeleriacRESP
import Foundation
import Logging
import NIOCore
import Synchronization

extension RedisBroker {
    /// Takes up to `limit` messages, priority step 0 first, then the queues in turn (kombu's round robin),
    /// FIFO within a list.
    ///
    /// Waiting messages are popped and recorded as unacked in one atomic script; only when every list is
    /// empty does it block, with `BRPOP` on a dedicated connection, for what is left of `timeout`. It runs
    /// ``restoreExpiredLeases()`` at the first call and then every ``Configuration/restoreInterval``.
    /// - Returns: the deliveries; empty when nothing arrived in time.
    /// - Throws: ``CeleriacError`` when Redis fails.
    public func receive(from queues: [String], limit: Int, timeout: Duration) async throws -> [Delivery] {
        try checkOpen()
        guard !queues.isEmpty, limit > 0 else { return [] }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            await restoreIfDue(clock: clock)
            let order = keyOrder(queues)
            // The pop and its bookkeeping run unstructured so that cancelling the receive (a warm shutdown)
            // can't drop messages already popped: they are returned and the worker gives them back.
            let popped = try await Task { try await self.popWaiting(order, limit: limit) }.value
            if !popped.isEmpty {
                rotate(after: popped)
                return popped
            }
            let remaining = deadline - clock.now
            guard remaining > .zero else { return [] }
            let wait = min(remaining, configuration.restoreInterval).secondsValue
            try Task.checkCancellation()
            let brpop = RESPCommand("BRPOP", arguments: order.map { .string($0.key) } + [.double(max(0.01, wait))])
            let reply = try await send(brpop, "waiting for messages")
            guard let pair = reply.elements, pair.count == 2, let key = pair[0].string, let item = pair[1].bytes else { continue }
            let deliveries = try await Task { try await self.trackBlockingPop(key: key, item: item, order: order, limit: limit) }.value
            rotate(after: deliveries)
            return deliveries
        }
    }

    /// The lists to read, in kombu's order: every queue's step-0 list, then every queue's step-3 list, ...
    /// with the queues in their current rotation.
    func keyOrder(_ queues: [String]) -> [(key: String, queue: String)] {
        let rotation = state.withLock { state -> [String] in
            if Set(state.rotation) != Set(queues) || state.rotation.count != queues.count { state.rotation = queues }
            return state.rotation
        }
        return RedisKeys.prioritySteps.flatMap { step in rotation.map { (keys.list($0, step: step), $0) } }
    }

    /// Moves the queue the last message came from to the end of the rotation (kombu's `_queue_cycle.rotate`).
    func rotate(after deliveries: [Delivery]) {
        guard let last = deliveries.last?.queue else { return }
        state.withLock { state in
            guard let index = state.rotation.firstIndex(of: last), state.rotation.count > 1 else { return }
            state.rotation.append(state.rotation.remove(at: index))
        }
    }

    /// Pops up to `limit` waiting messages and records them as unacked, in one script call (plus one
    /// transaction for messages the script left to us).
    func popWaiting(_ order: [(key: String, queue: String)], limit: Int) async throws -> [Delivery] {
        let reply = try await run(
            RedisScripts.popAndTrack, keys: [keys.unacked, keys.unackedIndex] + order.map(\.key),
            arguments: popArguments(order, limit: limit), "receiving messages")
        return try await deliveries(fromScriptReply: reply, order: order)
    }

    func popArguments(_ order: [(key: String, queue: String)], limit: Int) -> [RESPCommand.Argument] {
        var arguments: [RESPCommand.Argument] = [.integer(limit), .double(unixTime())]
        for entry in order {
            arguments.append(.string(entry.queue))
            arguments.append(.string(RedisEnvelope.jsonString(entry.queue)))
        }
        return arguments
    }

    /// Turns the pop script's reply into deliveries; records the messages it could not.
    func deliveries(fromScriptReply reply: RESPValue, order: [(key: String, queue: String)]) async throws -> [Delivery] {
        guard let items = reply.elements, !items.isEmpty else { return [] }
        var result: [Delivery] = []
        var pending: [PreparedDelivery] = []
        var index = 0
        while index + 3 < items.count {
            defer { index += 4 }
            guard let list = items[index].int, list >= 1, list <= order.count, let buffer = items[index + 1].bytes else { continue }
            let queue = order[list - 1].queue
            let tag = items[index + 2].string ?? ""
            if tag.isEmpty {
                let prepared = RedisEnvelope.prepare(Array(buffer.readableBytesView), queue: queue)
                pending.append(prepared)
                result.append(prepared.delivery)
            } else {
                result.append(Delivery(tag: DeliveryTag(tag), queue: queue, envelope: Array(buffer.readableBytesView), redelivered: items[index + 3].int == 1))
            }
        }
        try await record(pending)
        return result
    }

    /// After a `BRPOP` returned one message: records it and, in the same pipeline, pops up to `limit - 1` more.
    func trackBlockingPop(key: String, item: ByteBuffer, order: [(key: String, queue: String)], limit: Int) async throws -> [Delivery] {
        let queue = order.first { $0.key == key }?.queue ?? Self.queueName(ofList: key, prefix: keys.prefix)
        let prepared = RedisEnvelope.prepare(Array(item.readableBytesView), queue: queue)
        var commands = recordCommands([prepared])
        let more = limit - 1
        var sha: String?
        if more > 0 {
            sha = try? await RedisScripts.popAndTrack.loadedSHA(client)
            if let sha {
                commands.append(RedisScripts.popAndTrack.command(
                    sha: sha, keys: [keys.unacked, keys.unackedIndex] + order.map(\.key), arguments: popArguments(order, limit: more)))
            }
        }
        if commands.isEmpty { return [prepared.delivery] }
        let replies: [RESPValue]
        do {
            replies = try await client.pipeline(commands)
        } catch {
            holdUntracked([prepared])
            throw Self.failure("recording a received message", error)
        }
        if prepared.unackedValue == nil { holdUntracked([prepared]) }
        var deliveries = [prepared.delivery]
        if sha != nil, let last = replies.last {
            if last.errorMessage?.hasPrefix("NOSCRIPT") == true { RedisScripts.popAndTrack.forget() }
            deliveries += try await self.deliveries(fromScriptReply: last, order: order)
        }
        return deliveries
    }

    /// kombu's `QoS.append` for messages recorded outside the pop script.
    func record(_ prepared: [PreparedDelivery]) async throws {
        guard !prepared.isEmpty else { return }
        holdUntracked(prepared)
        let commands = recordCommands(prepared)
        if !commands.isEmpty { try await run(commands, "recording received messages") }
    }

    /// `MULTI; ZADD unacked_index <time> <tag>...; HSET unacked <tag> <[envelope, exchange, rk]>...; EXEC`.
    func recordCommands(_ prepared: [PreparedDelivery]) -> [RESPCommand] {
        let tracked = prepared.filter { $0.unackedValue != nil }
        guard !tracked.isEmpty else { return [] }
        let now = unixTime()
        var zadd: [RESPCommand.Argument] = [.string(keys.unackedIndex)]
        var hset: [RESPCommand.Argument] = [.string(keys.unacked)]
        for item in tracked {
            zadd += [.double(now), .string(item.tag)]
            hset += [.string(item.tag), .bytes(ByteBuffer(bytes: item.unackedValue ?? []))]
        }
        return [RESPCommand("MULTI"), RESPCommand("ZADD", arguments: zadd), RESPCommand("HSET", arguments: hset), RESPCommand("EXEC")]
    }

    /// Keeps messages that are not JSON objects in memory, so they can still be given back.
    func holdUntracked(_ prepared: [PreparedDelivery]) {
        let untracked = prepared.filter { $0.unackedValue == nil }
        guard !untracked.isEmpty else { return }
        state.withLock { state in
            for item in untracked { state.untracked[item.tag] = (item.queue, item.envelope) }
        }
    }

    /// The queue a list belongs to: the prefix and any priority suffix removed (kombu's `rsplit(sep, 1)[0]`).
    static func queueName(ofList key: String, prefix: String) -> String {
        var name = key.hasPrefix(prefix) ? String(key.dropFirst(prefix.count)) : key
        if let range = name.range(of: RedisKeys.separator, options: .backwards) {
            name = String(name[..<range.lowerBound])
        }
        return name
    }

    /// Runs `restore_visible` when the restore interval has passed; failures are logged, not thrown.
    func restoreIfDue(clock: ContinuousClock) async {
        let now = clock.now
        let due = state.withLock { state -> Bool in
            if let last = state.lastRestore, now - last < configuration.restoreInterval { return false }
            state.lastRestore = now
            return true
        }
        guard due else { return }
        do {
            let restored = try await restoreExpiredLeases()
            if restored > 0 { logger.info("restored unacked messages whose lease ran out", metadata: [RedisLogKey.count: "\(restored)"]) }
        } catch {
            logger.warning("restoring expired unacked messages failed", metadata: [RedisLogKey.error: "\(error)"])
        }
    }
}
