import CeleriacTesting
import Celeriac
import CeleriacRESP
import CeleriacRedis
import Foundation
import Testing

@Suite("RedisBroker: batching", .enabled(if: RedisServer.shouldRun, "redis-server not installed"))
struct RedisBrokerBatchingTests {
    /// The successful calls of one command in `INFO commandstats` (`calls` minus `failed_calls`: scripts are
    /// cached per process, so the first `EVALSHA` on a fresh server fails with `NOSCRIPT` and is retried).
    static func calls(_ command: String, in stats: String) -> Int {
        guard let line = stats.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("cmdstat_\(command):") }) else { return 0 }
        func field(_ name: String) -> Int {
            guard let part = line.split(separator: ",").first(where: { $0.hasPrefix(name + "=") || $0.contains(":" + name + "=") }),
                let value = part.split(separator: "=").last
            else { return 0 }
            return Int(value) ?? 0
        }
        return field("calls") - field("failed_calls")
    }

    @Test func drainingManyMessagesTakesFewRequests() async throws {
        try await withRedis { redis in
            let broker = try redis.broker()
            let raw = try redis.client()
            let count = 3000
            let batch = (0..<count).map { OutgoingEnvelope(envelope: Vectors.envelope(id: "t\($0)"), queue: "celery", priority: 0) }
            try await raw.send(RESPCommand("CONFIG", "RESETSTAT"))
            let start = ContinuousClock.now
            try await broker.publish(batch: batch)
            var received: [String] = []
            while received.count < count {
                let deliveries = try await broker.receive(from: ["celery"], limit: 512, timeout: .seconds(1))
                #expect(!deliveries.isEmpty)
                if deliveries.isEmpty { break }
                received += deliveries.compactMap { Vectors.taskID($0.envelope) }
                try await broker.ack(deliveries.map(\.tag))
            }
            let elapsed = ContinuousClock.now - start
            #expect(received == (0..<count).map { "t\($0)" })
            #expect(try await raw.send(RESPCommand("EXISTS", "celery", "unacked", "unacked_index")).int == 0)
            let stats = try #require(try await raw.text("INFO", "commandstats"))
            // One script call and one ack transaction per 512 messages; no BRPOP while messages wait.
            #expect(Self.calls("evalsha", in: stats) <= 7)
            #expect(Self.calls("brpop", in: stats) == 0)
            #expect(Self.calls("exec", in: stats) <= 7)
            #expect(elapsed < .seconds(30))
            await broker.close()
            await raw.close()
        }
    }
}
