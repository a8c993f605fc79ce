import NIOCore
import Testing

@testable import CeleriacRESP

@Suite struct RESPConnectionStateMachineTests {
    typealias Machine = RESPConnectionStateMachine<String>

    private func request(_ id: UInt64, _ kind: Machine.RequestKind = .single, deadline: NIODeadline? = nil, blocking: Bool = false) -> Machine.Request {
        .init(id: id, kind: kind, deadline: deadline, closeOnCancel: blocking)
    }

    private func bulk(_ text: String) -> RESPValue { .bulkString(ByteBuffer(string: text)) }

    @Test func repliesCompleteRequestsInOrder() {
        var machine = Machine()
        guard case .write = machine.write(request(1), promise: "a"), case .write = machine.write(request(2), promise: "b") else {
            Issue.record("writes refused")
            return
        }
        guard case .succeed("a", [.simpleString("OK")]) = machine.read(.simpleString("OK")) else { Issue.record("a"); return }
        guard case .fail("b", let error) = machine.read(.error("WRONGTYPE Operation")) else { Issue.record("b"); return }
        #expect(error.code == .serverError && error.serverErrorPrefix == "WRONGTYPE")
        #expect(machine.pendingCount == 0)
    }

    @Test func pipelinesCollectRepliesErrorsIncluded() {
        var machine = Machine()
        _ = machine.write(request(1, .pipeline(count: 3)), promise: "p")
        guard case .none = machine.read(.integer(1)), case .none = machine.read(.error("ERR x")) else {
            Issue.record("completed early")
            return
        }
        guard case .succeed("p", let values) = machine.read(.attribute([], value: .integer(3))) else {
            Issue.record("not completed")
            return
        }
        #expect(values == [.integer(1), .error("ERR x"), .integer(3)])
    }

    @Test func unexpectedReplyFailsEverythingAndCloses() {
        var machine = Machine()
        guard case .failAllAndClose([], let error) = machine.read(.simpleString("OK")) else { Issue.record("no close"); return }
        #expect(error.code == .protocolError)
        guard case .fail("late", let later) = machine.write(request(1), promise: "late") else { Issue.record("write"); return }
        #expect(later.code == .protocolError && later.wasNotSent)
    }

    @Test func protocolErrorAndCloseFailAllPending() {
        var machine = Machine()
        _ = machine.write(request(1), promise: "a")
        _ = machine.write(request(2, .pipeline(count: 2)), promise: "b")
        guard case .failAllAndClose(let promises, let error) = machine.errorCaught(.protocolError("bad byte")) else {
            Issue.record("no failure")
            return
        }
        #expect(promises == ["a", "b"] && error.code == .protocolError)
        #expect(machine.channelInactive().promises.isEmpty)

        var other = Machine()
        _ = other.write(request(1), promise: "x")
        let (promises2, error2) = other.channelInactive()
        #expect(promises2 == ["x"] && error2.code == .connectionClosed)
    }

    @Test func cancellingDiscardsTheLateReply() {
        var machine = Machine()
        _ = machine.write(request(1), promise: "a")
        _ = machine.write(request(2), promise: "b")
        guard case .fail("a", let error) = machine.cancel(id: 1) else { Issue.record("not cancelled"); return }
        #expect(error.code == .cancelled)
        guard case .none = machine.cancel(id: 1), case .none = machine.cancel(id: 99) else { Issue.record("twice"); return }
        guard case .none = machine.read(.simpleString("late")) else { Issue.record("late reply delivered"); return }
        guard case .succeed("b", _) = machine.read(.simpleString("OK")) else { Issue.record("b lost"); return }
    }

    @Test func cancellingABlockingCommandClosesTheConnection() {
        var machine = Machine()
        _ = machine.write(request(1), promise: "before")
        _ = machine.write(request(2, blocking: true), promise: "brpop")
        guard case .failAllAndClose(let cancelled, let others, let error) = machine.cancel(id: 2) else {
            Issue.record("not closed")
            return
        }
        #expect(cancelled == "brpop" && others == ["before"] && error.code == .connectionClosed)
    }

    @Test func timerClosesOnlyWhenADeadlinePassed() {
        var machine = Machine()
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        _ = machine.write(request(1, deadline: start + .seconds(5)), promise: "slow")
        _ = machine.write(request(2, deadline: start + .seconds(2)), promise: "fast")
        _ = machine.write(request(3), promise: "none")
        guard case .schedule(let next) = machine.timerFired(now: start + .seconds(1)) else { Issue.record("no reschedule"); return }
        #expect(next == start + .seconds(2))
        guard case .failAllAndClose(let promises, let error) = machine.timerFired(now: start + .seconds(2)) else {
            Issue.record("no timeout")
            return
        }
        #expect(promises == ["slow", "fast", "none"] && error.code == .commandTimeout)
        guard case .none = machine.timerFired(now: start + .seconds(9)) else { Issue.record("fired twice"); return }
    }

    @Test func resp2SubscriberConfirmationsAndMessages() {
        var machine = Machine(isSubscriber: true)
        _ = machine.write(request(1, .subscription(.subscribe, count: 2)), promise: "sub")
        guard case .none = machine.read(.array([bulk("subscribe"), bulk("a"), .integer(1)])) else { Issue.record("early"); return }
        guard case .message(let early) = machine.read(.array([bulk("message"), bulk("a"), bulk("hi")])) else {
            Issue.record("message between confirmations")
            return
        }
        #expect(early == RESPPubSubMessage(channel: "a", payload: ByteBuffer(string: "hi")))
        guard case .succeed("sub", []) = machine.read(.array([bulk("subscribe"), bulk("b"), .integer(2)])) else {
            Issue.record("not confirmed")
            return
        }
        guard case .message(let p) = machine.read(.array([bulk("pmessage"), bulk("a*"), bulk("ab"), bulk("x")])) else {
            Issue.record("pmessage")
            return
        }
        #expect(p.pattern == "a*" && p.channel == "ab")
        _ = machine.write(request(2), promise: "ping")
        guard case .succeed("ping", _) = machine.read(.array([bulk("pong"), bulk("")])) else { Issue.record("pong"); return }
        // UNSUBSCRIBE with no names completes once no channel is left.
        _ = machine.write(request(3, .subscription(.unsubscribe, count: nil)), promise: "unsub")
        guard case .none = machine.read(.array([bulk("unsubscribe"), bulk("a"), .integer(1)])) else { Issue.record("early"); return }
        guard case .succeed("unsub", _) = machine.read(.array([bulk("unsubscribe"), bulk("b"), .integer(0)])) else {
            Issue.record("unsubscribe not confirmed")
            return
        }
        #expect(machine.subscriptions.isEmpty)
    }

    @Test func resp3PushesAndSubscribeErrors() {
        var machine = Machine()
        _ = machine.write(request(1, .subscription(.subscribe, count: 1)), promise: "sub")
        guard case .succeed("sub", _) = machine.read(.push([bulk("subscribe"), bulk("a"), .integer(1)])) else {
            Issue.record("not confirmed")
            return
        }
        guard case .message = machine.read(.push([bulk("message"), bulk("a"), bulk("x")])) else { Issue.record("msg"); return }
        guard case .push = machine.read(.push([bulk("invalidate"), .array([bulk("k")])])) else { Issue.record("push"); return }
        // A RESP2 array that looks like a message is a plain reply on a command connection.
        _ = machine.write(request(2), promise: "lrange")
        guard case .succeed("lrange", _) = machine.read(.array([bulk("message"), bulk("a"), bulk("x")])) else {
            Issue.record("reply taken for a message")
            return
        }
        _ = machine.write(request(3, .subscription(.psubscribe, count: 1)), promise: "psub")
        guard case .fail("psub", let error) = machine.read(.error("NOPERM no permissions")) else { Issue.record("err"); return }
        #expect(error.serverErrorPrefix == "NOPERM")
        guard case .failAllAndClose = machine.read(.push([bulk("message"), bulk("only-two")])) else {
            Issue.record("malformed message accepted")
            return
        }
    }
}
