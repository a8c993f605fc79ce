import Celeriac
import CeleriacRESP
import NIOCore

extension RedisBroker: EventTransport {
    /// kombu's fanout channel prefix: `/<db>.` (`keyprefix_fanout`), after `global_keyprefix`.
    var fanoutPrefix: String { keys.prefix + "/\(client.configuration.database)." }

    /// The channel kombu publishes a fanout message on: `/<db>.<exchange>/<routing key>`, or without the
    /// routing key when it is empty (`Channel._get_publish_topic`).
    func fanoutChannel(exchange: String, routingKey: String) -> String {
        routingKey.isEmpty ? fanoutPrefix + exchange : fanoutPrefix + exchange + "/" + routingKey
    }

    /// `PUBLISH /<db>.celeryev/<routing key> <envelope>`, as Celery's event dispatcher does on Redis.
    public func publishEvent(_ envelope: [UInt8], routingKey: String) async throws {
        try checkOpen()
        let channel = fanoutChannel(exchange: EventEnvelope.exchange, routingKey: routingKey)
        try await run([RESPCommand("PUBLISH", .string(channel), .bytes(ByteBuffer(bytes: envelope)))], "publishing an event")
    }

    /// `PSUBSCRIBE /<db>.celeryev/*` on a dedicated connection, as Celery's event receiver (and Flower) listen.
    public func eventEnvelopes() async throws -> AsyncThrowingStream<[UInt8], any Error> {
        try await fanoutMessages(pattern: fanoutPrefix + EventEnvelope.exchange + "/*")
    }

    /// The payloads published on channels matching `pattern`, from a new subscriber connection that closes
    /// when the stream is dropped.
    func fanoutMessages(pattern: String) async throws -> AsyncThrowingStream<[UInt8], any Error> {
        try checkOpen()
        let subscriber = try await client.subscriber()
        do {
            try await subscriber.psubscribe([pattern])
        } catch {
            await subscriber.close()
            throw error
        }
        let (stream, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let reader = Task {
            do {
                for try await message in subscriber.messages {
                    continuation.yield(Array(message.payload.readableBytesView))
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
            await subscriber.close()
        }
        continuation.onTermination = { _ in
            reader.cancel()
            Task { await subscriber.close() }
        }
        return stream
    }
}
