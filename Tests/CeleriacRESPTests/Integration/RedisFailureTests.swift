import CeleriacTesting
import Logging
import NIOCore
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@testable import CeleriacRESP

/// Timeouts, crashes and restarts: pending commands fail with a clear error, never hang, and the client recovers.
@Suite(.enabled(if: RedisServer.shouldRun, "redis-server not installed"))
struct RedisFailureTests {
    static let logger = Logger(label: "resp.integration")

    @Test func slowCommandTimesOutAndTheNextCommandReconnects() async throws {
        try await withRedisServer { server in
            let client = RedisCommandTests.client(server) { $0.commandTimeout = .milliseconds(100) }
            let clock = ContinuousClock()
            let start = clock.now
            let error = await #expect(throws: RESPError.self) { try await client.send("DEBUG", "SLEEP", 3) }
            #expect(error?.code == .commandTimeout)
            // Well before the server's 3 s sleep ends (a loose bound: CI machines are loaded).
            #expect(clock.now - start < .milliseconds(2500))
            try await Task.sleep(for: .seconds(3))
            #expect(try await client.send("PING") == .simpleString("PONG"))
            await client.close()
        }
    }

    @Test func pausedServerTimesOutEveryPendingCommand() async throws {
        try await withRedisServer { server in
            let client = RedisCommandTests.client(server) {
                $0.commandTimeout = .milliseconds(200)
                $0.connectTimeout = .milliseconds(500)
                $0.poolSize = 1
            }
            #expect(try await client.send("PING") == .simpleString("PONG"))
            server.signal(SIGSTOP)
            defer { server.signal(SIGCONT) }
            try await withThrowingTaskGroup(of: RESPError.Code?.self) { group in
                for _ in 0..<5 {
                    group.addTask {
                        do {
                            _ = try await client.send("GET", "k")
                            return nil
                        } catch let error as RESPError {
                            return error.code
                        }
                    }
                }
                for try await code in group {
                    #expect(code == .commandTimeout || code == .connectTimeout || code == .connectionClosed)
                }
            }
            server.signal(SIGCONT)
            #expect(try await client.send("PING") == .simpleString("PONG"))
            await client.close()
        }
    }

    @Test func serverKilledMidRequestFailsPendingCommands() async throws {
        try await withRedisServer { server in
            let client = RedisCommandTests.client(server)
            let blocked = Task { try await client.withDedicatedConnection { try await $0.send(RESPCommand("BLPOP", "never", 30)) } }
            // Kill only once the blocking pop is really waiting on the server (a loaded machine may be slow to connect).
            for _ in 0..<100 {
                if (try await client.send("INFO", "clients").string ?? "").contains("blocked_clients:1") { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let shared = Task { try await client.pipeline([RESPCommand("DEBUG", "SLEEP", 5), RESPCommand("PING")]) }
            try await Task.sleep(for: .milliseconds(300))
            let clock = ContinuousClock()
            let start = clock.now
            server.signal(SIGKILL)
            let first = await #expect(throws: RESPError.self) { try await blocked.value }
            let second = await #expect(throws: RESPError.self) { try await shared.value }
            #expect(first?.code == .connectionClosed)
            // On a loaded machine the pipeline may only reach the connect step after the kill.
            #expect(second?.code == .connectionClosed || second?.code == .connectionFailed || second?.code == .connectTimeout)
            #expect(clock.now - start < .seconds(10))
            await client.close()
        }
    }

    @Test func clientReconnectsAfterARestart() async throws {
        let server = try await RedisServer.start()
        var current = server
        do {
            let client = RedisCommandTests.client(server) {
                $0.reconnect.initialDelay = .milliseconds(20)
                $0.reconnect.attemptsPerCommand = 2
                $0.connectTimeout = .seconds(1)
            }
            try await client.send("SET", "k", "v")
            await server.stop(removingDirectory: false)
            let error = await #expect(throws: RESPError.self) { try await client.send("PING") }
            #expect(error?.code == .connectionFailed || error?.code == .connectionClosed)
            current = try await server.restart()
            try await Task.sleep(for: .milliseconds(300))  // let the backoff run out
            #expect(try await client.send("PING") == .simpleString("PONG"))
            #expect(try await client.send("GET", "k").isNull)  // --save '': a fresh, empty server
            await client.close()
            await current.stop()
        } catch {
            await current.stop()
            throw error
        }
    }

    @Test func refusedAndSilentServersFailToConnect() async throws {
        let port = try RedisServer.freePort()
        var configuration = RESPClient.Configuration(host: "127.0.0.1", port: port)
        configuration.connectTimeout = .milliseconds(300)
        let refused = await #expect(throws: RESPError.self) {
            try await RESPConnection.connect(host: "127.0.0.1", port: port, configuration: configuration, logger: Self.logger)
        }
        #expect(refused?.code == .connectionFailed)

        let (fd, silentPort) = try RedisServer.silentListener()
        defer { close(fd) }
        let clock = ContinuousClock()
        let start = clock.now
        let silent = await #expect(throws: RESPError.self) {
            try await RESPConnection.connect(host: "127.0.0.1", port: silentPort, configuration: configuration, logger: Self.logger)
        }
        #expect(silent?.code == .connectTimeout)
        #expect(clock.now - start < .seconds(2))
    }

    @Test func closedClientRefusesCommands() async throws {
        try await withRedisServer { (server: RedisServer) async throws in
            let client = RedisCommandTests.client(server)
            #expect(try await client.send("PING") == .simpleString("PONG"))
            await client.close()
            let error = await #expect(throws: RESPError.self) { try await client.send("PING") }
            #expect(error?.code == .clientClosed)
        }
    }
}
