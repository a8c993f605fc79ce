import CeleriacTesting
import Logging
import Testing

@testable import CeleriacRESP

/// kombu's failover lists (`redis://a;redis://b`) against real servers: a dead first server is skipped, and when
/// the server in use dies, commands move to the next one.
@Suite(.enabled(if: RedisServer.shouldRun, "redis-server not installed"))
struct RedisFailoverTests {
    static let logger = Logger(label: "resp.failover")

    @Test func commandsSkipADeadServerAndFailOverWhenTheirServerDies() async throws {
        try await withRedisServer { second in
            let first = try await RedisServer.start()
            let deadPort = try RedisServer.freePort()
            let url = "redis://127.0.0.1:\(deadPort)/0;redis://127.0.0.1:\(first.port)/0;redis://127.0.0.1:\(second.port)/0"
            var configuration = try RESPClient.Configuration(url: url)
            configuration.connectTimeout = .seconds(2)
            let client = RESPClient(configuration: configuration, logger: Self.logger)
            do {
                try await client.send("SET", "where", "first")
                let onFirst = RESPClient(configuration: try .init(url: "redis://127.0.0.1:\(first.port)/0"), logger: Self.logger)
                #expect(try await onFirst.send("GET", "where").string == "first", "the dead server is skipped for the next")
                await onFirst.close()

                await first.stop()
                // The pooled connection to the first server is gone: the command that meets the closed connection
                // may fail, later ones reach the third server.
                var reached = false
                for _ in 0..<20 where !reached {
                    reached = (try? await client.send("SET", "where", "second")) != nil
                    if !reached { try await Task.sleep(for: .milliseconds(100)) }
                }
                #expect(reached, "commands should fail over to the last server")
                let onSecond = RESPClient(configuration: try .init(url: "redis://127.0.0.1:\(second.port)/0"), logger: Self.logger)
                #expect(try await onSecond.send("GET", "where").string == "second")
                await onSecond.close()
                await client.close()
            } catch {
                await client.close()
                await first.stop()
                throw error
            }
        }
    }
}
