import CeleriacTesting
import Celeriac
import CeleriacRESP
import CeleriacRedis
import Foundation
import NIOCore
import Testing

@Suite("RedisBroker: kombu's layout", .enabled(if: RedisServer.shouldRun, "redis-server not installed"))
struct RedisBrokerLayoutTests {
    @Test func publishPushesOntoPriorityListsAndDeclaresBindingsOnce() async throws {
        try await withRedis { redis in
            let broker = try redis.broker()
            let raw = try redis.client()
            let plain = Vectors.envelope(queue: "q2", priority: 2)
            let five = Vectors.envelope(queue: "q2", priority: 5)
            let nine = Vectors.envelope(queue: "q2", priority: 12)
            try await broker.publish(plain, queue: "q2", priority: 2)
            try await broker.publish(batch: [
                OutgoingEnvelope(envelope: five, queue: "q2", priority: 5),
                OutgoingEnvelope(envelope: nine, queue: "q2", priority: 12),
            ])
            #expect(try await raw.texts("LRANGE", "q2", 0, -1) == [String(decoding: plain, as: UTF8.self)])
            #expect(try await raw.texts("LRANGE", .string("q2\(sep)3"), 0, -1) == [String(decoding: five, as: UTF8.self)])
            #expect(try await raw.texts("LRANGE", .string("q2\(sep)9"), 0, -1) == [String(decoding: nine, as: UTF8.self)])
            #expect(try await raw.texts("SMEMBERS", "_kombu.binding.q2") == ["q2\(sep)\(sep)q2"])
            #expect(try await raw.texts("SMEMBERS", "_kombu.binding_permanent.q2") == ["q2\(sep)\(sep)q2"])
            await broker.close()
            await raw.close()
        }
    }

    @Test func receiveRecordsUnackedExactlyAsKombu() async throws {
        try await withRedis { redis in
            let broker = try redis.broker()
            let raw = try redis.client()
            let envelope = Array(Vectors.b02Envelope.utf8)
            try await broker.publish(envelope, queue: "celery", priority: 0)
            let before = Date().timeIntervalSince1970
            let deliveries = try await broker.receive(from: ["celery"], limit: 10, timeout: .seconds(1))
            let after = Date().timeIntervalSince1970
            let delivery = try #require(deliveries.first)
            #expect(deliveries.count == 1)
            #expect(delivery.tag.rawValue == Vectors.b02Tag)
            #expect(delivery.queue == "celery")
            #expect(delivery.envelope == envelope)
            #expect(!delivery.redelivered)
            #expect(try await raw.text("HGET", "unacked", .string(Vectors.b02Tag)) == Vectors.b02Unacked)
            let score = try #require(try await raw.text("ZSCORE", "unacked_index", .string(Vectors.b02Tag)).flatMap(Double.init))
            #expect(score >= before - 0.01 && score <= after + 0.01)
            #expect(try await raw.send(RESPCommand("LLEN", "celery")).int == 0)
            await broker.close()
            await raw.close()
        }
    }

    @Test func blockingReceiveRecordsTheSameWay() async throws {
        try await withRedis { redis in
            let broker = try redis.broker()
            let producer = try redis.broker()
            let raw = try redis.client()
            let waiting = Task { try await broker.receive(from: ["celery"], limit: 5, timeout: .seconds(30)) }
            try await Task.sleep(for: .milliseconds(300))
            let start = ContinuousClock.now
            try await producer.publish(Array(Vectors.b02Envelope.utf8), queue: "celery", priority: 0)
            let deliveries = try await waiting.value
            #expect(ContinuousClock.now - start < .seconds(10))
            #expect(deliveries.map(\.tag.rawValue) == [Vectors.b02Tag])
            #expect(try await raw.text("HGET", "unacked", .string(Vectors.b02Tag)) == Vectors.b02Unacked)
            await broker.close()
            await producer.close()
            await raw.close()
        }
    }

    @Test func aMessageWithoutDeliveryTagGetsOneWrittenIn() async throws {
        try await withRedis { redis in
            let broker = try redis.broker()
            let raw = try redis.client()
            try await broker.publish(Vectors.envelope(tag: nil), queue: "celery", priority: 0)
            let delivery = try #require(try await broker.receive(from: ["celery"], limit: 1, timeout: .seconds(1)).first)
            #expect(!delivery.tag.rawValue.isEmpty)
            let envelope = try #require(try JSONValue.parse(delivery.envelope).objectValue)
            #expect(envelope["properties"]?.objectValue?["delivery_tag"]?.stringValue == delivery.tag.rawValue)
            let stored = try #require(try await raw.text("HGET", "unacked", .string(delivery.tag.rawValue)))
            #expect(stored == "[" + String(decoding: delivery.envelope, as: UTF8.self) + #", "", "celery"]"#)
            await broker.close()
            await raw.close()
        }
    }

    @Test func globalKeyprefixIsPutBeforeEveryKey() async throws {
        try await withRedis { redis in
            let broker = try redis.broker(keyPrefix: "app:")
            let raw = try redis.client()
            try await broker.publish(Vectors.envelope(), queue: "celery", priority: 0)
            try await broker.publish(Vectors.envelope(), queue: "celery", priority: 7)
            let keys = Set(try await raw.texts("KEYS", "*"))
            #expect(keys == ["app:celery", "app:celery\(sep)6", "app:_kombu.binding.celery", "app:_kombu.binding_permanent.celery"])
            let deliveries = try await broker.receive(from: ["celery"], limit: 10, timeout: .seconds(1))
            #expect(deliveries.count == 2)
            #expect(try await raw.send(RESPCommand("HLEN", "app:unacked")).int == 2)
            #expect(try await raw.send(RESPCommand("ZCARD", "app:unacked_index")).int == 2)
            #expect(try await broker.queueDepths() == [QueueDepth(queue: "celery", ready: 0, unacked: 2)])
            await broker.close()
            await raw.close()
        }
    }

    @Test func malformedMessagesAreDeliveredAndCanBeGivenBack() async throws {
        try await withRedis { redis in
            let broker = try redis.broker()
            let raw = try redis.client()
            try await broker.publish(Array("not json".utf8), queue: "celery", priority: 0)
            let delivery = try #require(try await broker.receive(from: ["celery"], limit: 1, timeout: .seconds(1)).first)
            #expect(delivery.envelope == Array("not json".utf8))
            try await broker.giveBack([delivery.tag])
            #expect(try await raw.texts("LRANGE", "celery", 0, -1) == ["not json"])
            let again = try #require(try await broker.receive(from: ["celery"], limit: 1, timeout: .seconds(1)).first)
            try await broker.ack([again.tag])
            #expect(try await raw.send(RESPCommand("LLEN", "celery")).int == 0)
            await broker.close()
            await raw.close()
        }
    }
}
