import Celeriac
import CeleriacAMQP
import NIOCore
import Synchronization

extension RabbitMQBroker: RevocationStore {
    /// The RabbitMQ stream (`x-queue-type: stream`, durable, replicated like a quorum queue) holding revoked task
    /// ids, one message each. A stream is an append-only log read from any offset without consuming it, which is
    /// what ``RevocationStore`` asks for: every worker reads every revocation, and the offset is the sequence.
    public static let revocationStream = "celeriac.revoked"

    /// How long a read waits for the first revocation, and for the next one once they flow, before deciding it
    /// has reached the end of the stream (AMQP 0-9-1 has no "end of stream" signal). A read that ends early loses
    /// nothing: the next one starts where it stopped.
    static let revocationFirstWait: Duration = .milliseconds(250)
    static let revocationNextWait: Duration = .milliseconds(60)

    /// Appends revoked task ids to ``revocationStream`` (persistent, confirmed when publisher confirms are on).
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/brokerFailure``) when RabbitMQ fails, for example when the
    ///   `stream_queue` feature flag is off on an upgraded node.
    public func revoke(_ taskIDs: [String]) async throws {
        guard !taskIDs.isEmpty else { return }
        try checkOpen()
        var properties = AMQPProperties()
        properties.contentType = "text/plain"
        properties.deliveryMode = 2
        let persistent = properties
        do {
            let channel = try await publisher()
            try await declareRevocationStream(on: channel)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for id in taskIDs {
                    group.addTask { try await channel.publish(ByteBuffer(string: id), exchange: "", routingKey: Self.revocationStream, properties: persistent) }
                }
                try await group.waitForAll()
            }
        } catch {
            await dropPublisher()
            throw Self.failure("recording revocations", error)
        }
    }

    /// The ids revoked after `sequence` (0 for all), read from ``revocationStream`` at offset `sequence` on a
    /// private channel, and the sequence to pass next time (the last offset read + 1).
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/brokerFailure``) when RabbitMQ fails.
    public func revokedTaskIDs(after sequence: Int64) async throws -> (ids: [String], next: Int64) {
        try checkOpen()
        var channel: AMQPChannel?
        var ids: [String] = []
        var next = max(0, sequence)
        do {
            let connection = try await connect()
            let reader = try await connection.openChannel()
            channel = reader
            try await declareRevocationStream(on: reader)
            try await reader.qos(prefetchCount: 2000)  // a stream consumer needs a prefetch window
            let consumer = try await reader.consume(queue: Self.revocationStream, arguments: ["x-stream-offset": .int64(next)])
            let collected = try await Self.collect(consumer, from: next)
            ids = collected.ids
            next = collected.next
        } catch {
            await channel?.close()
            throw Self.failure("reading revocations", error)
        }
        await channel?.close()
        return (ids, next)
    }

    /// Declares the stream. RabbitMQ refuses `auto_delete` and `exclusive` on streams, so both are off.
    func declareRevocationStream(on channel: AMQPChannel) async throws {
        try await channel.declareQueue(
            Self.revocationStream, durable: true, exclusive: false, autoDelete: false,
            arguments: ["x-queue-type": "stream", "x-max-length-bytes": .int64(64 << 20), "x-stream-max-segment-size-bytes": .int32(8 << 20)])
    }

    /// Reads deliveries until the stream goes quiet, acknowledging each (a stream consumer's window only moves on
    /// acks). Offsets below `from` (RabbitMQ starts at a chunk boundary) are skipped.
    static func collect(_ consumer: AMQPConsumer, from start: Int64) async throws -> (ids: [String], next: Int64) {
        let activity = Activity()
        return try await withThrowingTaskGroup(of: (ids: [String], next: Int64)?.self) { group in
            group.addTask {
                var ids: [String] = []
                var next = start
                for try await delivery in consumer {
                    activity.last.withLock { $0 = .now }
                    let offset = delivery.properties.headers?["x-stream-offset"]?.intValue.map(Int64.init) ?? next
                    if offset >= next {
                        ids.append(String(decoding: delivery.body.readableBytesView, as: UTF8.self))
                        next = offset + 1
                    }
                    try await delivery.ack()
                }
                return (ids, next)
            }
            group.addTask {
                // The watchdog: cancels the consumer (which ends its sequence) after a quiet spell.
                let began = ContinuousClock.now
                while true {
                    try await Task.sleep(for: .milliseconds(20))
                    let now = ContinuousClock.now
                    if let last = activity.last.withLock({ $0 }) {
                        if now - last >= revocationNextWait { break }
                    } else if now - began >= revocationFirstWait {
                        break
                    }
                }
                try await consumer.cancel()
                return nil
            }
            var result: (ids: [String], next: Int64) = ([], start)
            while let finished = try await group.next() {
                if let finished { result = finished }
            }
            return result
        }
    }
}

/// When a revocation reader last received something.
private final class Activity: Sendable {
    let last = Mutex<ContinuousClock.Instant?>(nil)
}
