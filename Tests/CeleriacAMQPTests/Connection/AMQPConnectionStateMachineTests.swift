import NIOCore
import Testing

@testable import CeleriacAMQP

@Suite("AMQP connection state machine")
struct AMQPConnectionStateMachineTests {
    static func options(
        mechanism: AMQPConfiguration.AuthenticationMechanism = .plain,
        heartbeat: UInt16 = 60,
        frameMax: UInt32 = 131_072,
        channelMax: UInt16 = 0
    ) -> AMQPConnectionStateMachine.Options {
        .init(
            username: "guest", password: "secret", virtualHost: "/", mechanism: mechanism, channelMax: channelMax, frameMax: frameMax,
            heartbeat: heartbeat, clientProperties: ["product": "celeriac"]
        )
    }

    static let serverProperties: AMQPTable = [
        "capabilities": .table(["publisher_confirms": true, "connection.blocked": true, "authentication_failure_close": true, "per_consumer_qos": true]),
        "product": "RabbitMQ",
    ]
    static let start = AMQPMethod.Connection.start(versionMajor: 0, versionMinor: 9, serverProperties: serverProperties, mechanisms: "PLAIN AMQPLAIN", locales: "en_US")

    @Test func handshake() {
        var machine = AMQPConnectionStateMachine(options: Self.options(heartbeat: 30))
        #expect(machine.channelActive() == .sendProtocolHeader)
        let clientProperties: AMQPTable = [
            "product": "celeriac",
            "capabilities": .table(["connection.blocked": true, "authentication_failure_close": true, "publisher_confirms": true]),
        ]
        #expect(
            machine.received(Self.start)
                == .send([.startOk(clientProperties: clientProperties, mechanism: "PLAIN", response: Array("\0guest\0secret".utf8), locale: "en_US")], tuning: nil)
        )
        let tuning = AMQPConnectionStateMachine.Tuning(channelMax: 2047, frameMax: 131_072, heartbeat: 30)
        #expect(
            machine.received(.tune(channelMax: 2047, frameMax: 131_072, heartbeat: 60))
                == .send([.tuneOk(channelMax: 2047, frameMax: 131_072, heartbeat: 30), .open(virtualHost: "/")], tuning: tuning)
        )
        #expect(machine.received(.openOk) == .opened(tuning, serverProperties: Self.serverProperties))
        #expect(machine.state == .open(tuning))
    }

    @Test(arguments: [
        (UInt16(0), UInt16(60), UInt16(0)),  // the client turned heartbeats off: off (py-amqp)
        (UInt16(120), UInt16(60), UInt16(60)),  // both on: the smaller
        (UInt16(10), UInt16(0), UInt16(10)),  // the broker has none: the client's
    ])
    func heartbeatNegotiation(client: UInt16, server: UInt16, agreed: UInt16) {
        var machine = AMQPConnectionStateMachine(options: Self.options(heartbeat: client, frameMax: 0))
        _ = machine.channelActive()
        _ = machine.received(Self.start)
        guard case .send(let methods, let tuning) = machine.received(.tune(channelMax: 0, frameMax: 131_072, heartbeat: server)) else {
            Issue.record("no tune-ok")
            return
        }
        #expect(tuning?.heartbeat == agreed)
        #expect(tuning?.frameMax == 131_072)
        #expect(tuning?.channelMax == 0)
        #expect(methods.first == .tuneOk(channelMax: 0, frameMax: 131_072, heartbeat: agreed))
    }

    @Test func amqplainResponseIsATableWithoutItsLength() throws {
        var machine = AMQPConnectionStateMachine(options: Self.options(mechanism: .amqplain))
        _ = machine.channelActive()
        guard case .send(let methods, _) = machine.received(Self.start), case .startOk(_, let mechanism, let response, _)? = methods.first else {
            Issue.record("no start-ok")
            return
        }
        #expect(mechanism == "AMQPLAIN")
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(response.count))
        buffer.writeBytes(response)
        #expect(try buffer.readAMQPTable() == ["LOGIN": "guest", "PASSWORD": "secret"])
    }

    @Test func mechanismNotOffered() {
        var machine = AMQPConnectionStateMachine(options: Self.options(mechanism: .amqplain))
        _ = machine.channelActive()
        let action = machine.received(.start(versionMajor: 0, versionMinor: 9, serverProperties: [:], mechanisms: "PLAIN", locales: "en_US"))
        guard case .closeSocket(let error?) = action else {
            Issue.record("expected a failure, got \(action)")
            return
        }
        #expect(error.code == .authenticationFailed)
    }

    @Test func refusedLoginAndVirtualHost() {
        var login = AMQPConnectionStateMachine(options: Self.options())
        _ = login.channelActive()
        _ = login.received(Self.start)
        guard case .sendCloseOkAndClose(let error) = login.received(.close(replyCode: 403, replyText: "ACCESS_REFUSED - Login was refused", classID: 0, methodID: 0))
        else {
            Issue.record("expected close-ok")
            return
        }
        #expect(error.code == .authenticationFailed && error.replyCode == 403)
        #expect(!error.description.contains("secret"))

        var vhost = AMQPConnectionStateMachine(options: Self.options())
        _ = vhost.channelActive()
        _ = vhost.received(Self.start)
        _ = vhost.received(.tune(channelMax: 0, frameMax: 131_072, heartbeat: 60))
        guard case .sendCloseOkAndClose(let refused) = vhost.received(.close(replyCode: 530, replyText: "NOT_ALLOWED - vhost x not found", classID: 10, methodID: 40))
        else {
            Issue.record("expected close-ok")
            return
        }
        #expect(refused.code == .accessRefused && refused.replyCode == 530)
    }

    @Test func socketClosedAfterLoginMeansRefusedLogin() {
        var machine = AMQPConnectionStateMachine(options: Self.options())
        _ = machine.channelActive()
        _ = machine.received(Self.start)
        #expect(machine.channelInactive().code == .authenticationFailed)
    }

    static func openMachine(heartbeat: UInt16 = 10) -> AMQPConnectionStateMachine {
        var machine = AMQPConnectionStateMachine(options: Self.options(heartbeat: heartbeat))
        _ = machine.channelActive()
        _ = machine.received(Self.start)
        _ = machine.received(.tune(channelMax: 0, frameMax: 131_072, heartbeat: heartbeat))
        _ = machine.received(.openOk)
        return machine
    }

    @Test func heartbeats() {
        var machine = Self.openMachine(heartbeat: 10)
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)
        #expect(machine.heartbeatTick(now: start + .seconds(2), lastRead: start, lastWrite: start) == .none)
        #expect(machine.heartbeatTick(now: start + .seconds(5), lastRead: start, lastWrite: start) == .sendHeartbeat)
        #expect(machine.heartbeatTick(now: start + .seconds(19), lastRead: start, lastWrite: start + .seconds(18)) == .none)
        guard case .closeSocket(let error?) = machine.heartbeatTick(now: start + .seconds(21), lastRead: start, lastWrite: start + .seconds(20)) else {
            Issue.record("expected a heartbeat timeout")
            return
        }
        #expect(error.code == .heartbeatTimeout)
        var off = Self.openMachine(heartbeat: 0)
        #expect(off.heartbeatTick(now: start + .seconds(1000), lastRead: start, lastWrite: start) == .none)
    }

    @Test func blockedAndUnblocked() {
        var machine = Self.openMachine()
        #expect(machine.received(.blocked(reason: "low on memory")) == .blocked("low on memory"))
        #expect(machine.received(.unblocked) == .unblocked)
    }

    @Test func closeFromTheClient() {
        var machine = Self.openMachine()
        #expect(machine.close() == .send([.close(replyCode: 200, replyText: "Goodbye", classID: 0, methodID: 0)], tuning: nil))
        #expect(machine.close() == .none)
        #expect(machine.received(.closeOk) == .closeSocket(nil))
        #expect(machine.state == .closed)
    }

    @Test func closeFromTheBroker() {
        var machine = Self.openMachine()
        guard case .sendCloseOkAndClose(let error) = machine.received(.close(replyCode: 320, replyText: "CONNECTION_FORCED - shutdown", classID: 0, methodID: 0)) else {
            Issue.record("expected close-ok")
            return
        }
        #expect(error.code == .connectionClosedByServer && error.replyCode == 320)
    }

    @Test func outOfPlaceMethodsAreProtocolErrors() {
        var machine = AMQPConnectionStateMachine(options: Self.options())
        _ = machine.channelActive()
        guard case .sendCloseAndClose(503, let error) = machine.received(.openOk) else {
            Issue.record("expected a protocol violation")
            return
        }
        #expect(error.code == .protocolError)
        var wrongVersion = AMQPConnectionStateMachine(options: Self.options())
        _ = wrongVersion.channelActive()
        guard case .sendCloseAndClose = wrongVersion.received(.start(versionMajor: 1, versionMinor: 0, serverProperties: [:], mechanisms: "PLAIN", locales: "")) else {
            Issue.record("expected a protocol violation")
            return
        }
    }
}
