import CeleriacTesting
import Celeriac
import CeleriacRESP
import CeleriacRedis
import Foundation
import NIOCore
import Testing

@Suite("RedisResultBackend", .enabled(if: RedisServer.shouldRun, "redis-server not installed"))
struct RedisResultBackendTests {
    static let taskID = "c4304ce8-6f8e-4fb1-aba7-dee0c26a65c0"
    static let success = ResultMeta(taskID: taskID, status: .success, result: 5, dateDone: "2026-11-26T03:49:10.811904+00:00")

    @Test func storeWritesCeleryJSONWithExpiryAndPublishesIt() async throws {
        try await withRedis { redis in
            let backend = try redis.backend()
            let raw = try redis.client()
            let listener = try await raw.subscriber()
            try await listener.subscribe(["celery-task-meta-\(Self.taskID)"])
            try await backend.store(Self.success)
            #expect(try await raw.text("GET", .string("celery-task-meta-\(Self.taskID)")) == Vectors.b02Result)
            let ttl = try #require(try await raw.send(RESPCommand("TTL", .string("celery-task-meta-\(Self.taskID)"))).int)
            #expect(ttl > 86_000 && ttl <= 86_400)
            var iterator = listener.messages.makeAsyncIterator()
            let message = try #require(try await iterator.next())
            #expect(message.channel == "celery-task-meta-\(Self.taskID)")
            #expect(String(buffer: message.payload) == Vectors.b02Result)
            #expect(try await backend.meta(for: Self.taskID) == Self.success)
            await listener.close()
            await backend.close()
            await raw.close()
        }
    }

    @Test func successIsNeverOverwritten() async throws {
        try await withRedis { redis in
            let backend = try redis.backend()
            try await backend.store(Self.success)
            try await backend.store(ResultMeta(taskID: Self.taskID, status: .started))
            try await backend.store(ResultMeta(taskID: Self.taskID, status: .failure, result: .object(["exc_type": "ValueError", "exc_message": [], "exc_module": "builtins"])))
            #expect(try await backend.meta(for: Self.taskID) == Self.success)
            await backend.close()
        }
    }

    @Test func noExpiryForgetAndPrefix() async throws {
        try await withRedis { redis in
            let backend = try redis.backend(resultExpires: nil, keyPrefix: "app")
            let raw = try redis.client()
            try await backend.store(Self.success)
            let key = "app_celery-task-meta-\(Self.taskID)"
            #expect(try await raw.send(RESPCommand("TTL", .string(key))).int == -1)
            #expect(try await backend.meta(for: "other") == nil)
            try await backend.forget(taskID: Self.taskID)
            #expect(try await raw.send(RESPCommand("EXISTS", .string(key))).int == 0)
            #expect(try await backend.deleteExpired() == 0)
            await backend.close()
            await raw.close()
        }
    }

    @Test func waitForReadyWakesOnPublishWithoutPolling() async throws {
        try await withRedis { redis in
            let waiter = try redis.backend()
            let worker = try redis.backend()
            let raw = try redis.client()
            try await raw.send(RESPCommand("CONFIG", "RESETSTAT"))
            let waiting = Task { try await waiter.waitForReady(taskID: Self.taskID, timeout: .seconds(30)) }
            // Wait until the waiter subscribed, then store a non-ready state and the ready one.
            for _ in 0..<200 {
                if try await raw.send(RESPCommand("PUBSUB", "NUMSUB", .string("celery-task-meta-\(Self.taskID)"))).elements?.last?.int == 1 { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            try await Task.sleep(for: .milliseconds(300))
            try await worker.store(ResultMeta(taskID: Self.taskID, status: .started))
            let start = ContinuousClock.now
            try await worker.store(Self.success)
            let meta = try await waiting.value
            #expect(ContinuousClock.now - start < .seconds(10))
            #expect(meta == Self.success)
            // The waiter's one GET and the worker's two read-before-write GETs: no polling.
            let stats = try #require(try await raw.text("INFO", "commandstats"))
            let getCalls = stats.split(whereSeparator: \.isNewline).first { $0.hasPrefix("cmdstat_get:") }
            #expect(getCalls?.hasPrefix("cmdstat_get:calls=3,") == true)
            for _ in 0..<100 {
                if try await raw.send(RESPCommand("PUBSUB", "NUMSUB", .string("celery-task-meta-\(Self.taskID)"))).elements?.last?.int == 0 { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(try await raw.send(RESPCommand("PUBSUB", "NUMSUB", .string("celery-task-meta-\(Self.taskID)"))).elements?.last?.int == 0)
            await waiter.close()
            await worker.close()
            await raw.close()
        }
    }

    @Test func waitForReadyReturnsAStoredResultAtOnceAndTimesOutWithTheLastState() async throws {
        try await withRedis { redis in
            let backend = try redis.backend()
            try await backend.store(ResultMeta(taskID: "slow", status: .started))
            let start = ContinuousClock.now
            let last = try await backend.waitForReady(taskID: "slow", timeout: .milliseconds(300))
            #expect(last?.status == .started)
            #expect(ContinuousClock.now - start >= .milliseconds(250))
            #expect(try await backend.waitForReady(taskID: "never", timeout: .milliseconds(50)) == nil)
            try await backend.store(Self.success)
            #expect(try await backend.waitForReady(taskID: Self.taskID, timeout: .seconds(1)) == Self.success)
            // Many concurrent waiters share one subscription connection.
            try await withThrowingTaskGroup(of: ResultMeta?.self) { group in
                for _ in 0..<20 { group.addTask { try await backend.waitForReady(taskID: "shared", timeout: .seconds(10)) } }
                try await Task.sleep(for: .milliseconds(200))
                try await backend.store(ResultMeta(taskID: "shared", status: .success, result: 1, dateDone: "2026-01-01T00:00:00+00:00"))
                var count = 0
                for try await meta in group where meta?.status == .success { count += 1 }
                #expect(count == 20)
            }
            await backend.close()
        }
    }
}
