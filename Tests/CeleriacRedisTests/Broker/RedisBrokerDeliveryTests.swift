import CeleriacTesting
import Celeriac
import CeleriacRESP
import CeleriacRedis
import Foundation
import NIOCore
import Testing

@Suite("RedisBroker: delivery", .enabled(if: RedisServer.shouldRun, "redis-server not installed"))
struct RedisBrokerDeliveryTests {
    @Test func fifoWithinAStepAndLowerStepsFirst() async throws {
        try await withRedis { redis in
            let broker = try redis.broker()
            let messages: [(name: String, priority: Int)] = [("a", 0), ("b", 0), ("c", 9), ("d", 4), ("e", 1), ("f", 6), ("g", 3)]
            for message in messages {
                try await broker.publish(Vectors.envelope(id: message.name, priority: message.priority), queue: "celery", priority: message.priority)
            }
            let deliveries = try await broker.receive(from: ["celery"], limit: 100, timeout: .seconds(1))
            #expect(deliveries.compactMap { Vectors.taskID($0.envelope) } == ["a", "b", "e", "d", "g", "f", "c"])
            await broker.close()
        }
    }

    @Test func receiveTakesAtMostLimitInOneGo() async throws {
        try await withRedis { redis in
            let broker = try redis.broker()
            let raw = try redis.client()
            let batch = (0..<50).map { OutgoingEnvelope(envelope: Vectors.envelope(id: "t\($0)"), queue: "celery", priority: 0) }
            try await broker.publish(batch: batch)
            let first = try await broker.receive(from: ["celery"], limit: 20, timeout: .seconds(1))
            #expect(first.compactMap { Vectors.taskID($0.envelope) } == (0..<20).map { "t\($0)" })
            #expect(try await raw.send(RESPCommand("LLEN", "celery")).int == 30)
            #expect(try await raw.send(RESPCommand("HLEN", "unacked")).int == 20)
            await broker.close()
            await raw.close()
        }
    }

    @Test func anEmptyReceiveWaitsOutItsTimeout() async throws {
        try await withRedis { redis in
            let broker = try redis.broker()
            let start = ContinuousClock.now
            let deliveries = try await broker.receive(from: ["celery", "other"], limit: 10, timeout: .milliseconds(300))
            let elapsed = ContinuousClock.now - start
            #expect(deliveries.isEmpty)
            #expect(elapsed >= .milliseconds(250) && elapsed < .seconds(10))
            await broker.close()
        }
    }

    @Test func ackRemovesTheUnackedEntryAndIndex() async throws {
        try await withRedis { redis in
            let broker = try redis.broker()
            let raw = try redis.client()
            for i in 0..<3 { try await broker.publish(Vectors.envelope(id: "t\(i)"), queue: "celery", priority: 0) }
            let deliveries = try await broker.receive(from: ["celery"], limit: 3, timeout: .seconds(1))
            try await broker.ack(deliveries.prefix(2).map(\.tag))
            #expect(try await raw.texts("HKEYS", "unacked") == [deliveries[2].tag.rawValue])
            #expect(try await raw.texts("ZRANGE", "unacked_index", 0, -1) == [deliveries[2].tag.rawValue])
            try await broker.reject(deliveries[2].tag, requeue: false)
            #expect(try await raw.send(RESPCommand("EXISTS", "unacked", "unacked_index", "celery")).int == 0)
            await broker.close()
            await raw.close()
        }
    }

    @Test func giveBackPushesToTheFrontMarkedRedelivered() async throws {
        try await withRedis { redis in
            let broker = try redis.broker()
            let raw = try redis.client()
            try await broker.publish(Vectors.envelope(id: "first", priority: 4), queue: "celery", priority: 4)
            try await broker.publish(Vectors.envelope(id: "second", priority: 4), queue: "celery", priority: 4)
            let first = try #require(try await broker.receive(from: ["celery"], limit: 1, timeout: .seconds(1)).first)
            try await broker.giveBack([first.tag])
            #expect(try await raw.send(RESPCommand("EXISTS", "unacked", "unacked_index")).int == 0)
            // RPUSH: the right end, popped next.
            let list = try await raw.texts("LRANGE", .string("celery\(sep)3"), 0, -1)
            let restored = try #require(list.last)
            let object = try #require(try JSONValue.parse(restored).objectValue)
            #expect(object["headers"]?.objectValue?.keys.last == "redelivered")
            #expect(object["headers"]?.objectValue?["redelivered"] == true)
            #expect(object["properties"]?.objectValue?["delivery_info"]?.objectValue?["redelivered"] == true)
            #expect(object["properties"]?.objectValue?["delivery_tag"]?.stringValue == first.tag.rawValue)
            var expected = try #require(try JSONValue.parse(first.envelope).objectValue)
            var headers = try #require(expected["headers"]?.objectValue)
            headers["redelivered"] = true
            expected["headers"] = .object(headers)
            var properties = try #require(expected["properties"]?.objectValue)
            var info = try #require(properties["delivery_info"]?.objectValue)
            info["redelivered"] = true
            properties["delivery_info"] = .object(info)
            expected["properties"] = .object(properties)
            #expect(restored == JSONValue.object(expected).serialized(.python))
            let again = try await broker.receive(from: ["celery"], limit: 2, timeout: .seconds(1))
            #expect(again.compactMap { Vectors.taskID($0.envelope) } == ["first", "second"])
            #expect(again.map(\.redelivered) == [true, false])
            #expect(again.first?.tag == first.tag)
            await broker.close()
            await raw.close()
        }
    }

    @Test func rejectWithRequeuePushesToTheBack() async throws {
        try await withRedis { redis in
            let broker = try redis.broker()
            try await broker.publish(Vectors.envelope(id: "first"), queue: "celery", priority: 0)
            try await broker.publish(Vectors.envelope(id: "second"), queue: "celery", priority: 0)
            let first = try #require(try await broker.receive(from: ["celery"], limit: 1, timeout: .seconds(1)).first)
            try await broker.reject(first.tag, requeue: true)
            let again = try await broker.receive(from: ["celery"], limit: 2, timeout: .seconds(1))
            #expect(again.compactMap { Vectors.taskID($0.envelope) } == ["second", "first"])
            #expect(again.map(\.redelivered) == [false, true])
            await broker.close()
        }
    }

    @Test func anExpiredLeaseIsRestoredButAnExtendedOneIsNot() async throws {
        try await withRedis { redis in
            let broker = try redis.broker(visibilityTimeout: .seconds(1))
            let raw = try redis.client()
            try await broker.publish(Vectors.envelope(id: "dead"), queue: "celery", priority: 0)
            try await broker.publish(Vectors.envelope(id: "alive"), queue: "celery", priority: 0)
            let deliveries = try await broker.receive(from: ["celery"], limit: 2, timeout: .seconds(1))
            #expect(deliveries.count == 2)
            #expect(try await broker.restoreExpiredLeases() == 0)
            try await Task.sleep(for: .milliseconds(1200))
            try await broker.extendLeases([deliveries[1].tag])
            #expect(try await broker.restoreExpiredLeases() == 1)
            #expect(try await raw.texts("HKEYS", "unacked") == [deliveries[1].tag.rawValue])
            #expect(try await raw.send(RESPCommand("EXISTS", "unacked_mutex")).int == 0)
            let restored = try await broker.receive(from: ["celery"], limit: 5, timeout: .milliseconds(100))
            #expect(restored.compactMap { Vectors.taskID($0.envelope) } == ["dead"])
            #expect(restored.first?.redelivered == true)
            #expect(restored.first?.tag == deliveries[0].tag)
            // Extending never creates entries for tags that are gone.
            try await broker.ack([deliveries[1].tag])
            try await broker.extendLeases([deliveries[1].tag])
            #expect(try await raw.send(RESPCommand("ZSCORE", "unacked_index", .string(deliveries[1].tag.rawValue))).isNull)
            await broker.close()
            await raw.close()
        }
    }

    @Test func restoreVisibleWritesWhatKombuWrites() async throws {
        try await withRedis { redis in
            let broker = try redis.broker(visibilityTimeout: .seconds(3))
            let raw = try redis.client()
            // An unacked entry a Python worker left behind when it was killed (d01).
            try await raw.send(RESPCommand("HSET", "unacked", .string(Vectors.d01Tag), .string("[" + Vectors.d01Original + #", "", "celery"]"#)))
            try await raw.send(RESPCommand("ZADD", "unacked_index", 1795665035.0, .string(Vectors.d01Tag)))
            #expect(try await broker.restoreExpiredLeases() == 1)
            #expect(try await raw.texts("LRANGE", "celery", 0, -1) == [Vectors.d01Restored])
            #expect(try await raw.send(RESPCommand("EXISTS", "unacked", "unacked_index", "unacked_mutex")).int == 0)
            await broker.close()
            await raw.close()
        }
    }

    @Test func restoreWaitsForAnotherConsumersMutex() async throws {
        try await withRedis { redis in
            let broker = try redis.broker(visibilityTimeout: .seconds(0))
            let raw = try redis.client()
            try await broker.publish(Vectors.envelope(), queue: "celery", priority: 0)
            _ = try await broker.receive(from: ["celery"], limit: 1, timeout: .seconds(1))
            try await raw.send(RESPCommand("SET", "unacked_mutex", "someone-else", "PX", 300_000))
            #expect(try await broker.restoreExpiredLeases() == 0)
            #expect(try await raw.text("GET", "unacked_mutex") == "someone-else")
            try await raw.send(RESPCommand("DEL", "unacked_mutex"))
            try await Task.sleep(for: .milliseconds(20))
            #expect(try await broker.restoreExpiredLeases() == 1)
            await broker.close()
            await raw.close()
        }
    }

    @Test func receiveRestoresExpiredMessagesByItself() async throws {
        try await withRedis { redis in
            let crashed = try redis.broker(visibilityTimeout: .milliseconds(500))
            try await crashed.publish(Vectors.envelope(id: "orphan"), queue: "celery", priority: 0)
            #expect(try await crashed.receive(from: ["celery"], limit: 1, timeout: .seconds(1)).count == 1)
            await crashed.close()
            let survivor = try redis.broker(visibilityTimeout: .milliseconds(500), restoreInterval: .milliseconds(200))
            let deliveries = try await survivor.receive(from: ["celery"], limit: 1, timeout: .seconds(3))
            #expect(deliveries.compactMap { Vectors.taskID($0.envelope) } == ["orphan"])
            #expect(deliveries.first?.redelivered == true)
            await survivor.close()
        }
    }

    @Test func purgeAndQueueDepths() async throws {
        try await withRedis { redis in
            let broker = try redis.broker()
            try await broker.publish(Vectors.envelope(), queue: "celery", priority: 0)
            try await broker.publish(Vectors.envelope(), queue: "celery", priority: 5)
            try await broker.publish(Vectors.envelope(), queue: "celery", priority: 9)
            try await broker.publish(Vectors.envelope(queue: "q2"), queue: "q2", priority: 0)
            _ = try await broker.receive(from: ["celery"], limit: 1, timeout: .seconds(1))
            let depths = try await broker.queueDepths()
            #expect(depths == [QueueDepth(queue: "celery", ready: 2, unacked: 1), QueueDepth(queue: "q2", ready: 1, unacked: 0)])
            #expect(try await broker.purge(queue: "celery") == 2)
            #expect(try await broker.purge(queue: "celery") == 0)
            #expect(try await broker.queueDepths() == [QueueDepth(queue: "celery", ready: 0, unacked: 1), QueueDepth(queue: "q2", ready: 1, unacked: 0)])
            await broker.close()
        }
    }
}
