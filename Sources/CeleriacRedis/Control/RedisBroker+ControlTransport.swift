import Celeriac
import CeleriacRESP
import Foundation
import Logging
import NIOCore

extension RedisBroker: ControlTransport {
    /// kombu's binding tables for the pidbox exchanges, with their 5.7 expiry bookkeeping.
    private var pidboxBinding: String { keys.prefix + "_kombu.binding." + ControlEnvelope.exchange }
    private var replyBinding: String { keys.prefix + "_kombu.binding." + ControlEnvelope.replyExchange }
    private var bindingDeadlines: String { keys.prefix + "_kombu.binding_deadlines" }
    /// The reply list for a client id: `<oid>.reply.celery.pidbox`.
    private func replyQueue(_ routingKey: String) -> String { keys.prefix + routingKey + "." + ControlEnvelope.replyExchange }
    /// kombu keeps a binding of an expiring queue for `max(2 × x-expires, 1 h)`.
    private static let bindingTTL = 3_600_000

    /// `PUBLISH /<db>.celery.pidbox <envelope>` (kombu's `Mailbox._broadcast` on Redis).
    public func broadcastControl(_ envelope: [UInt8]) async throws {
        try checkOpen()
        let channel = fanoutChannel(exchange: ControlEnvelope.exchange, routingKey: "")
        try await run([RESPCommand("PUBLISH", .string(channel), .bytes(ByteBuffer(bytes: envelope)))], "broadcasting a control request")
    }

    /// Binds `<hostname>.celery.pidbox` as Celery's workers do, then `PSUBSCRIBE /<db>.celery.pidbox`.
    public func controlRequests(hostname: String) async throws -> AsyncThrowingStream<[UInt8], any Error> {
        let member = RedisKeys.separator + RedisKeys.separator + hostname + "." + ControlEnvelope.exchange
        try await run(
            RedisScripts.refreshBinding, keys: [pidboxBinding, bindingDeadlines],
            arguments: [.string(member), .string(ControlEnvelope.exchange), .integer(Self.bindingTTL)], "binding the pidbox queue")
        return try await fanoutMessages(pattern: fanoutPrefix + ControlEnvelope.exchange)
    }

    /// kombu's direct-exchange delivery: every queue bound to `reply.celery.pidbox` with `routingKey` gets an
    /// `LPUSH` of the reply. A reply nobody bound for is dropped, as in kombu.
    public func sendControlReply(_ envelope: [UInt8], routingKey: String) async throws {
        try checkOpen()
        let members = try await send(RESPCommand("SMEMBERS", .string(replyBinding)), "reading the reply bindings")
        let queues = (members.elements ?? []).compactMap(\.string).compactMap { member -> String? in
            let parts = member.components(separatedBy: RedisKeys.separator)
            guard parts.count == 3, parts[0] == routingKey else { return nil }
            return parts[2]
        }
        guard !queues.isEmpty else {
            logger.debug("a control reply has no bound queue; dropped", metadata: ["routing_key": "\(routingKey)"])
            return
        }
        try await run(queues.map { RESPCommand("LPUSH", .string(keys.prefix + $0), .bytes(ByteBuffer(bytes: envelope))) }, "sending a control reply")
    }

    /// Binds `<oid>.reply.celery.pidbox` to `reply.celery.pidbox` with routing key `<oid>` (kombu's
    /// `REFRESH_BINDING`), before the request goes out.
    public func openControlReplies(routingKey: String) async throws {
        try checkOpen()
        let queue = routingKey + "." + ControlEnvelope.replyExchange
        try await run(
            RedisScripts.refreshBinding, keys: [replyBinding, bindingDeadlines],
            arguments: [.string(routingKey + RedisKeys.separator + RedisKeys.separator + queue), .string(ControlEnvelope.replyExchange), .integer(Self.bindingTTL)],
            "binding the reply queue")
    }

    /// `BRPOP <oid>.reply.celery.pidbox <timeout>`.
    public func nextControlReply(routingKey: String, timeout: Duration) async throws -> [UInt8]? {
        try checkOpen()
        let seconds = max(0.01, Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18)
        let reply = try await send(RESPCommand("BRPOP", .string(replyQueue(routingKey)), .double(seconds)), "waiting for control replies")
        guard let pair = reply.elements, pair.count == 2, let item = pair[1].bytes else { return nil }
        return Array(item.readableBytesView)
    }

    /// `SREM` of the reply binding and `DEL` of the reply list (kombu's `Mailbox._collect` cleanup).
    public func closeControlReplies(routingKey: String) async throws {
        try checkOpen()
        let queue = routingKey + "." + ControlEnvelope.replyExchange
        try await run([
            RESPCommand("SREM", .string(replyBinding), .string(routingKey + RedisKeys.separator + RedisKeys.separator + queue)),
            RESPCommand("DEL", .string(replyQueue(routingKey))),
        ], "removing the reply queue")
    }
}
