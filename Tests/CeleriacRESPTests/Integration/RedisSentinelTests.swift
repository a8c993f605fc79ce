import CeleriacTesting
import Logging
import NIOCore
import Testing

@testable import CeleriacRESP

/// A master found through a real Sentinel (`redis-server --sentinel`).
@Suite(.enabled(if: RedisServer.shouldRun, "redis-server not installed"))
struct RedisSentinelTests {
    static let logger = Logger(label: "resp.integration")

    @Test func clientFindsTheMasterThroughSentinel() async throws {
        try await withRedisServer { master in
            let sentinelPort = try RedisServer.freePort()
            let sentinel = try await RedisServer.start(
                ["--sentinel"],
                port: sentinelPort,
                configFile: "sentinel monitor mymaster 127.0.0.1 \(master.port) 1\nsentinel down-after-milliseconds mymaster 60000\n"
            )
            do {
                let deadPort = try RedisServer.freePort()
                let url = "sentinel://127.0.0.1:\(deadPort);sentinel://127.0.0.1:\(sentinelPort)/2?master_name=mymaster"
                var configuration = try RESPClient.Configuration(url: url)
                configuration.connectTimeout = .seconds(2)
                let client = RESPClient(configuration: configuration, logger: Self.logger)
                try await client.send("SET", "via", "sentinel")
                let direct = RESPClient(configuration: try .init(url: "redis://127.0.0.1:\(master.port)/2"), logger: Self.logger)
                #expect(try await direct.send("GET", "via").string == "sentinel")
                await client.close()
                await direct.close()

                var unknown = try RESPClient.Configuration(url: "sentinel://127.0.0.1:\(sentinelPort)", sentinelMasterName: "nosuch")
                unknown.reconnect.attemptsPerCommand = 1
                let lost = RESPClient(configuration: unknown, logger: Self.logger)
                let error = await #expect(throws: RESPError.self) { try await lost.send("PING") }
                #expect(error?.code == .sentinelFailure)
                await lost.close()
                await sentinel.stop()
            } catch {
                await sentinel.stop()
                throw error
            }
        }
    }
}
