import CeleriacTesting
import Logging
import NIOCore
import Testing

@testable import CeleriacRESP

/// Commands, pipelining, databases, pub/sub and blocking pops against a real `redis-server`.
@Suite(.enabled(if: RedisServer.shouldRun, "redis-server not installed"))
struct RedisCommandTests {
    static let logger = Logger(label: "resp.integration")

    static func client(_ server: RedisServer, _ configure: (inout RESPClient.Configuration) -> Void = { _ in }) -> RESPClient {
        var configuration = RESPClient.Configuration(host: "127.0.0.1", port: server.port)
        configuration.commandTimeout = .seconds(10)
        configure(&configuration)
        return RESPClient(configuration: configuration, logger: Self.logger)
    }

    @Test(arguments: [RESPProtocolVersion.resp2, .resp3])
    func commandsAndTenThousandPipelinedCommands(version: RESPProtocolVersion) async throws {
        try await withRedisServer { server in
            let client = Self.client(server) { $0.protocolVersion = version }
            #expect(try await client.send("PING") == .simpleString("PONG"))
            try await client.send("SET", "greeting", "hello")
            #expect(try await client.send("GET", "greeting").string == "hello")
            #expect(try await client.send("GET", "missing").isNull)

            let increments = Array(repeating: RESPCommand("INCR", "counter"), count: 10_000)
            let replies = try await client.pipeline(increments)
            #expect(replies.count == 10_000)
            #expect(replies.first == .integer(1) && replies.last == .integer(10_000))

            try await client.send("HSET", "hash", "a", "1", "b", "2")
            let all = try await client.send("HGETALL", "hash")
            #expect(all.pairs?.count == 2)
            if version == .resp3 { #expect(all.pairs != nil && all.elements == nil) }  // a map, not an array

            let error = await #expect(throws: RESPError.self) { try await client.send("INCR", "greeting") }
            #expect(error?.code == .serverError && error?.serverErrorPrefix == "ERR")
            await client.close()
        }
    }

    @Test func concurrentSendsShareThePool() async throws {
        try await withRedisServer { server in
            let client = Self.client(server) { $0.poolSize = 3 }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<500 {
                    group.addTask {
                        let value = try await client.send("INCR", "shared")
                        #expect((value.int ?? 0) > 0)
                        #expect(try await client.send("ECHO", .integer(index)).int == index)
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await client.send("GET", "shared").int == 500)
            let clients = try await client.send("CLIENT", "LIST").string ?? ""
            #expect(clients.split(separator: "\n").count <= 4)
            await client.close()
        }
    }

    @Test func resp3NegotiationAndClientName() async throws {
        try await withRedisServer { server in
            var configuration = RESPClient.Configuration(host: "127.0.0.1", port: server.port)
            configuration.protocolVersion = .resp3
            configuration.clientName = "celeriac-test"
            let connection = try await RESPConnection.connect(host: "127.0.0.1", port: server.port, configuration: configuration, logger: Self.logger)
            #expect(connection.protocolVersion == .resp3)
            #expect(try await connection.send(RESPCommand("CLIENT", "GETNAME")).string == "celeriac-test")
            #expect(try await connection.send(RESPCommand("DEBUG", "PROTOCOL", "double")).unwrappingAttributes == .double(3.141))
            await connection.close()
            #expect(!connection.isActive)
            let error = await #expect(throws: RESPError.self) { try await connection.send(RESPCommand("PING")) }
            #expect(error?.code == .connectionClosed)
        }
    }

    @Test func selectKeepsDatabasesApart() async throws {
        try await withRedisServer { server in
            let db3 = Self.client(server) { $0.database = 3 }
            let db0 = Self.client(server)
            try await db3.send("SET", "where", "three")
            #expect(try await db3.send("GET", "where").string == "three")
            #expect(try await db0.send("GET", "where").isNull)
            let fromURL = RESPClient(configuration: try .init(url: "redis://127.0.0.1:\(server.port)/3"), logger: Self.logger)
            #expect(try await fromURL.send("GET", "where").string == "three")
            await db3.close()
            await db0.close()
            await fromURL.close()
        }
    }

    @Test(arguments: [RESPProtocolVersion.resp2, .resp3])
    func pubSubDeliversChannelAndPatternMessages(version: RESPProtocolVersion) async throws {
        try await withRedisServer { server in
            let client = Self.client(server) { $0.protocolVersion = version }
            let subscriber = try await client.subscriber()
            try await subscriber.subscribe(["events", "other"])
            try await subscriber.psubscribe(["celery-task-meta-*"])
            #expect(try await client.send("PUBLISH", "events", "one").int == 1)
            #expect(try await client.send("PUBLISH", "celery-task-meta-42", "two").int == 1)
            var iterator = subscriber.messages.makeAsyncIterator()
            let first = try await iterator.next()
            #expect(first?.channel == "events" && first.map { String(buffer: $0.payload) } == "one")
            let second = try await iterator.next()
            #expect(second?.pattern == "celery-task-meta-*" && second?.channel == "celery-task-meta-42")
            try await subscriber.unsubscribe()
            try await subscriber.punsubscribe()
            #expect(try await client.send("PUBLISH", "events", "unheard").int == 0)
            await subscriber.close()
            #expect(try await iterator.next() == nil)
            await client.close()
        }
    }

    @Test func blockingPopsOnDedicatedConnections() async throws {
        try await withRedisServer { server in
            let client = Self.client(server)
            let clock = ContinuousClock()
            let start = clock.now
            let empty = try await client.withDedicatedConnection { try await $0.send(RESPCommand("BRPOP", "queue", 1)) }
            #expect(empty.isNull)
            #expect(clock.now - start >= .milliseconds(900))

            let popped = Task { try await client.withDedicatedConnection { try await $0.send(RESPCommand("BRPOP", "queue", 5)) } }
            try await Task.sleep(for: .milliseconds(100))
            try await client.send("LPUSH", "queue", "job")
            #expect(try await popped.value.elements?.map(\.string) == ["queue", "job"])

            // A blocking command sent through the shared API runs on a dedicated connection: others aren't held up.
            let sharedBlocking = Task { try await client.send(RESPCommand("BLPOP", "later", 5)) }
            try await Task.sleep(for: .milliseconds(100))
            #expect(try await client.send("PING") == .simpleString("PONG"))
            try await client.send("RPUSH", "later", "x")
            #expect(try await sharedBlocking.value.elements?.last?.string == "x")

            // An idle dedicated connection is reused.
            let firstID = try await client.withDedicatedConnection { try await $0.send(RESPCommand("CLIENT", "ID")).int }
            let secondID = try await client.withDedicatedConnection { try await $0.send(RESPCommand("CLIENT", "ID")).int }
            #expect(firstID != nil && firstID == secondID)

            try await client.send("LPUSH", "q2", "a", "b")
            let multi = try await client.withDedicatedConnection {
                try await $0.send(RESPCommand("BLMPOP", 1, 1, "q2", "RIGHT", "COUNT", 2))
            }
            #expect(multi.elements?.first?.string == "q2")
            await client.close()
        }
    }

    @Test func cancellingABlockingPopLosesNoMessage() async throws {
        try await withRedisServer { server in
            let client = Self.client(server)
            let waiter = Task { try await client.withDedicatedConnection { try await $0.send(RESPCommand("BRPOP", "jobs", 0)) } }
            try await Task.sleep(for: .milliseconds(200))
            waiter.cancel()
            let error = await #expect(throws: RESPError.self) { try await waiter.value }
            #expect(error?.code == .cancelled)
            // Wait until the server has seen the connection close (no client blocked any more): a push before
            // that would be popped by the dying connection, which is Redis's semantics, not the client's.
            for _ in 0..<100 {
                let info = try await client.send("INFO", "clients").string ?? ""
                if info.contains("blocked_clients:0") { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            try await client.send("LPUSH", "jobs", "precious")
            #expect(try await client.send("RPOP", "jobs").string == "precious")
            // The closed connection was not put back: the next dedicated one works.
            #expect(try await client.withDedicatedConnection { try await $0.send(RESPCommand("PING")) } == .simpleString("PONG"))
            await client.close()
        }
    }
}
