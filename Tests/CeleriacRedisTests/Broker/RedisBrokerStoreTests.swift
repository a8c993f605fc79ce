import CeleriacTesting
import Celeriac
import CeleriacRESP
import CeleriacRedis
import Foundation
import Testing

@Suite("RedisBroker: dead letters and revocations", .enabled(if: RedisServer.shouldRun, "redis-server not installed"))
struct RedisBrokerStoreTests {
    @Test func deadLettersRoundTrip() async throws {
        try await withRedis { redis in
            let broker = try redis.broker()
            let raw = try redis.client()
            let text = DeadLetter(
                id: "d1", queue: "celery", taskID: "t1", taskName: "tests.nope", reason: "NotRegistered",
                envelope: Vectors.envelope(id: "t1"), date: Date(timeIntervalSince1970: 1_000))
            let binary = DeadLetter(
                id: "d2", queue: "q2", taskID: nil, taskName: nil, reason: "not JSON", envelope: [0xff, 0x00, 0xfe],
                date: Date(timeIntervalSince1970: 2_000))
            try await broker.deadLetter(binary)
            try await broker.deadLetter(text)
            #expect(try await broker.deadLetters(limit: 10) == [text, binary])
            #expect(try await broker.deadLetters(limit: 1) == [text])
            #expect(try await broker.deadLetter(id: "d2") == binary)
            #expect(try await broker.deadLetter(id: "missing") == nil)
            #expect(try await broker.requeueDeadLetter(id: "d1", queue: nil))
            #expect(try await broker.requeueDeadLetter(id: "d1", queue: nil) == false)
            #expect(try await raw.texts("LRANGE", "celery", 0, -1) == [String(decoding: text.envelope, as: UTF8.self)])
            #expect(try await broker.deleteDeadLetter(id: "d2"))
            #expect(try await broker.deleteDeadLetter(id: "d2") == false)
            #expect(try await broker.deadLetters(limit: 10).isEmpty)
            await broker.close()
            await raw.close()
        }
    }

    @Test func revocationsAreReadBySequence() async throws {
        try await withRedis { redis in
            let broker = try redis.broker()
            let other = try redis.broker()
            try await broker.revoke(["a", "b"])
            let first = try await other.revokedTaskIDs(after: 0)
            #expect(first.ids == ["a", "b"])
            #expect(first.next == 2)
            try await broker.revoke(["b", "c"])
            let second = try await other.revokedTaskIDs(after: first.next)
            #expect(second.ids == ["c"])
            #expect(second.next == 3)
            let none = try await other.revokedTaskIDs(after: second.next)
            #expect(none.ids.isEmpty && none.next == 3)
            await broker.close()
            await other.close()
        }
    }
}
