import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import CeleriacRESP

/// Whole conversations between ``RESPConnection`` and a scripted server on an `NIOAsyncTestingChannel`.
@Suite struct RESPConnectionChannelTests {
    private static let logger = Logger(label: "resp.tests")

    private func makeConnection(
        configuration: RESPClient.Configuration = .init(),
        subscriber: AsyncThrowingStream<RESPPubSubMessage, any Error>.Continuation? = nil
    ) async throws -> (NIOAsyncTestingChannel, RESPConnection) {
        let channel = try await NIOAsyncTestingChannel { channel in
            let handler = RESPChannelHandler(isSubscriber: subscriber != nil, messages: subscriber, logger: Self.logger)
            try channel.pipeline.syncOperations.addHandler(handler)
        }
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 6379))
        return (channel, RESPConnection(channel: channel, configuration: configuration, logger: Self.logger))
    }

    private func expectWrite(_ channel: NIOAsyncTestingChannel, _ expected: String) async throws {
        let written = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        #expect(String(buffer: written) == expected)
    }

    @Test func sendWritesTheCommandAndReturnsTheReply() async throws {
        let (channel, connection) = try await makeConnection()
        let reply = Task { try await connection.send(RESPCommand("GET", "k")) }
        try await expectWrite(channel, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
        try await channel.writeInbound(ByteBuffer(string: "$2\r\n"))
        try await channel.writeInbound(ByteBuffer(string: "v1\r\n"))
        #expect(try await reply.value.string == "v1")
        _ = try await channel.finish()
    }

    @Test func serverErrorsFailOnlyTheirCommand() async throws {
        let (channel, connection) = try await makeConnection()
        let first = Task { try await connection.send(RESPCommand("INCR", "k")) }
        try await expectWrite(channel, "*2\r\n$4\r\nINCR\r\n$1\r\nk\r\n")
        try await channel.writeInbound(ByteBuffer(string: "-WRONGTYPE Operation against a key\r\n"))
        let error = await #expect(throws: RESPError.self) { try await first.value }
        #expect(error?.serverErrorPrefix == "WRONGTYPE")
        async let second = connection.send(RESPCommand("PING"))
        try await expectWrite(channel, "*1\r\n$4\r\nPING\r\n")
        try await channel.writeInbound(ByteBuffer(string: "+PONG\r\n"))
        #expect(try await second == .simpleString("PONG"))
        _ = try await channel.finish()
    }

    @Test func pipelineIsOneWriteWithRepliesInOrder() async throws {
        let (channel, connection) = try await makeConnection()
        async let replies = connection.pipeline([RESPCommand("SET", "a", 1), RESPCommand("INCR", "a"), RESPCommand("HGET", "a", "f")])
        try await expectWrite(channel, "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$4\r\nINCR\r\n$1\r\na\r\n*3\r\n$4\r\nHGET\r\n$1\r\na\r\n$1\r\nf\r\n")
        try await channel.writeInbound(ByteBuffer(string: "+OK\r\n:2\r\n-WRONGTYPE no\r\n"))
        #expect(try await replies == [.simpleString("OK"), .integer(2), .error("WRONGTYPE no")])
        _ = try await channel.finish()
    }

    @Test func protocolErrorFailsEveryPendingCommandAndCloses() async throws {
        let (channel, connection) = try await makeConnection()
        let a = Task { try await connection.send(RESPCommand("GET", "a")) }
        let b = Task { try await connection.send(RESPCommand("GET", "b")) }
        _ = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        _ = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        try await channel.writeInbound(ByteBuffer(string: "?garbage\r\n"))
        let errorA = await #expect(throws: RESPError.self) { try await a.value }
        let errorB = await #expect(throws: RESPError.self) { try await b.value }
        #expect(errorA?.code == .protocolError && errorB?.code == .protocolError)
        #expect(!channel.isActive)
        let late = await #expect(throws: RESPError.self) { try await connection.send(RESPCommand("PING")) }
        #expect(late?.wasNotSent == true)
    }

    @Test func channelCloseFailsPendingCommands() async throws {
        let (channel, connection) = try await makeConnection()
        let reply = Task { try await connection.send(RESPCommand("BLPOP", "q", 0)) }
        _ = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        channel.pipeline.fireChannelInactive()
        let error = await #expect(throws: RESPError.self) { try await reply.value }
        #expect(error?.code == .connectionClosed)
        _ = try? await channel.finish()
    }

    @Test func commandTimeoutFailsPendingAndCloses() async throws {
        var configuration = RESPClient.Configuration()
        configuration.commandTimeout = .milliseconds(100)
        let (channel, connection) = try await makeConnection(configuration: configuration)
        let reply = Task { try await connection.send(RESPCommand("GET", "k")) }
        _ = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        await channel.testingEventLoop.advanceTime(by: .milliseconds(99))
        #expect(channel.isActive)
        await channel.testingEventLoop.advanceTime(by: .milliseconds(1))
        let error = await #expect(throws: RESPError.self) { try await reply.value }
        #expect(error?.code == .commandTimeout)
        #expect(!channel.isActive)
    }

    @Test func blockingCommandsWaitTheirOwnTimeoutOnTop() async throws {
        var configuration = RESPClient.Configuration()
        configuration.commandTimeout = .milliseconds(100)
        let (channel, connection) = try await makeConnection(configuration: configuration)
        let reply = Task { try await connection.send(RESPCommand("BRPOP", "q", 1)) }
        _ = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        await channel.testingEventLoop.advanceTime(by: .milliseconds(1050))
        #expect(channel.isActive)
        try await channel.writeInbound(ByteBuffer(string: "*-1\r\n"))
        #expect(try await reply.value.isNull)
        _ = try await channel.finish()
    }

    @Test func cancellingAPlainCommandKeepsTheConnection() async throws {
        let (channel, connection) = try await makeConnection()
        let task = Task { try await connection.send(RESPCommand("GET", "slow")) }
        _ = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        task.cancel()
        let error = await #expect(throws: RESPError.self) { try await task.value }
        #expect(error?.code == .cancelled)
        async let next = connection.send(RESPCommand("GET", "next"))
        _ = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        try await channel.writeInbound(ByteBuffer(string: "$4\r\nlate\r\n$4\r\nnext\r\n"))
        #expect(try await next.string == "next")
        #expect(channel.isActive)
        _ = try await channel.finish()
    }

    @Test func cancellingABlockingCommandClosesTheConnection() async throws {
        let (channel, connection) = try await makeConnection()
        let task = Task { try await connection.send(RESPCommand("BRPOP", "q", 0)) }
        _ = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        task.cancel()
        let error = await #expect(throws: RESPError.self) { try await task.value }
        #expect(error?.code == .cancelled)
        try await channel.closeFuture.get()
    }

    @Test func resp3HandshakeAuthenticatesNamesAndSelects() async throws {
        var configuration = RESPClient.Configuration()
        configuration.protocolVersion = .resp3
        configuration.username = "celery"
        configuration.password = "pw"
        configuration.clientName = "worker"
        configuration.database = 3
        let (channel, connection) = try await makeConnection(configuration: configuration)
        let handshake = Task { try await connection.handshake(deadline: .now() + .seconds(5)) }
        try await expectWrite(channel, "*7\r\n$5\r\nHELLO\r\n$1\r\n3\r\n$4\r\nAUTH\r\n$6\r\ncelery\r\n$2\r\npw\r\n$7\r\nSETNAME\r\n$6\r\nworker\r\n")
        try await channel.writeInbound(ByteBuffer(string: "%1\r\n+proto\r\n:3\r\n"))
        try await expectWrite(channel, "*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n")
        try await channel.writeInbound(ByteBuffer(string: "+OK\r\n"))
        try await handshake.value
        #expect(connection.protocolVersion == .resp3)
        _ = try await channel.finish()
    }

    @Test func resp3FallsBackToResp2WhenHelloIsUnknown() async throws {
        var configuration = RESPClient.Configuration()
        configuration.protocolVersion = .resp3
        configuration.password = "pw"
        let (channel, connection) = try await makeConnection(configuration: configuration)
        let handshake = Task { try await connection.handshake(deadline: .now() + .seconds(5)) }
        _ = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        try await channel.writeInbound(ByteBuffer(string: "-ERR unknown command 'HELLO'\r\n"))
        try await expectWrite(channel, "*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n")
        try await channel.writeInbound(ByteBuffer(string: "-WRONGPASS invalid username-password pair\r\n"))
        let error = await #expect(throws: RESPError.self) { try await handshake.value }
        #expect(error?.serverErrorPrefix == "WRONGPASS")
        #expect(connection.protocolVersion == .resp2)
        _ = try await channel.finish()
    }

    @Test func subscriberDeliversMessagesAndEndsOnClose() async throws {
        let (stream, continuation) = AsyncThrowingStream<RESPPubSubMessage, any Error>.makeStream()
        let (channel, connection) = try await makeConnection(subscriber: continuation)
        let subscriber = RESPSubscriber(connection: connection, messages: stream, pool: nil)
        async let subscribed: Void = subscriber.subscribe(["a", "b"])
        try await expectWrite(channel, "*3\r\n$9\r\nSUBSCRIBE\r\n$1\r\na\r\n$1\r\nb\r\n")
        try await channel.writeInbound(ByteBuffer(string: "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"))
        try await channel.writeInbound(ByteBuffer(string: ">3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n"))
        try await subscribed
        try await channel.writeInbound(ByteBuffer(string: "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$5\r\nhello\r\n"))
        try await channel.writeInbound(ByteBuffer(string: ">4\r\n$8\r\npmessage\r\n$2\r\nb*\r\n$2\r\nbc\r\n$3\r\nbye\r\n"))
        var iterator = subscriber.messages.makeAsyncIterator()
        #expect(try await iterator.next() == RESPPubSubMessage(channel: "a", payload: ByteBuffer(string: "hello")))
        #expect(try await iterator.next()?.pattern == "b*")
        await subscriber.close()
        #expect(try await iterator.next() == nil)
    }

    @Test func subscriberStreamThrowsWhenTheConnectionDrops() async throws {
        let (stream, continuation) = AsyncThrowingStream<RESPPubSubMessage, any Error>.makeStream()
        let (channel, connection) = try await makeConnection(subscriber: continuation)
        _ = connection
        channel.pipeline.fireChannelInactive()
        var iterator = stream.makeAsyncIterator()
        let error = await #expect(throws: RESPError.self) { try await iterator.next() }
        #expect(error?.code == .connectionClosed)
        _ = try? await channel.finish()
    }
}
