import NIOCore

/// The connection-level (channel 0) protocol as a value: the handshake, tuning, heartbeats, flow control by the
/// broker and closing from either side. Every event returns an ``Action`` for the channel handler to run; the
/// machine does no I/O, so tests drive it directly.
///
/// Handshake: protocol header → `start` → `start-ok` (PLAIN or AMQPLAIN) → [`secure`] → `tune` → `tune-ok` +
/// `open` → `open-ok`. A `connection.close` during the handshake becomes a clear error: `403` after `start-ok` is
/// a refused login (``AMQPError/Code/authenticationFailed``), `530`/`403` after `open` a refused virtual host
/// (``AMQPError/Code/accessRefused``).
struct AMQPConnectionStateMachine {
    /// The negotiated limits.
    struct Tuning: Hashable, Sendable {
        /// The highest channel number (0 = no limit, 65535).
        var channelMax: UInt16
        /// The largest frame in bytes (0 = no limit).
        var frameMax: UInt32
        /// Heartbeat interval in seconds (0 = off).
        var heartbeat: UInt16
    }

    /// What the client asks for and logs in with.
    struct Options: Sendable {
        var username: String
        var password: String
        var virtualHost: String
        var mechanism: AMQPConfiguration.AuthenticationMechanism
        var channelMax: UInt16
        var frameMax: UInt32
        var heartbeat: UInt16
        var clientProperties: AMQPTable
    }

    enum State: Equatable {
        case initial
        case awaitingStart
        case awaitingTune
        case awaitingOpenOk(Tuning)
        case open(Tuning)
        case closing(Tuning)
        case closed
    }

    enum Action: Equatable {
        case none
        /// Write the protocol header.
        case sendProtocolHeader
        /// Write these channel-0 methods; with a tuning, apply it first (frame limit).
        case send([AMQPMethod.Connection], tuning: Tuning?)
        /// The connection is open.
        case opened(Tuning, serverProperties: AMQPTable)
        /// The broker closed the connection: answer `close-ok`, fail everything with the error, close the socket.
        case sendCloseOkAndClose(AMQPError)
        /// A protocol violation: send `connection.close` with this code, fail everything, close the socket.
        case sendCloseAndClose(replyCode: UInt16, AMQPError)
        /// Close the socket; fail everything with the error (`nil`: a clean close the client asked for).
        case closeSocket(AMQPError?)
        /// Write a heartbeat frame.
        case sendHeartbeat
        /// The broker blocked or unblocked publishing.
        case blocked(String)
        case unblocked
    }

    private(set) var state: State = .initial
    private var serverProperties = AMQPTable()
    let options: Options

    init(options: Options) {
        self.options = options
    }

    var tuning: Tuning? {
        switch self.state {
        case .awaitingOpenOk(let tuning), .open(let tuning), .closing(let tuning): tuning
        default: nil
        }
    }

    mutating func channelActive() -> Action {
        guard case .initial = self.state else { return .none }
        self.state = .awaitingStart
        return .sendProtocolHeader
    }

    mutating func received(_ method: AMQPMethod.Connection) -> Action {
        switch (self.state, method) {
        case (.awaitingStart, .start(let major, let minor, let properties, let mechanisms, _)):
            guard major == 0, minor == 9 else {
                return self.violation(503, "the broker speaks AMQP \(major)-\(minor), not 0-9-1")
            }
            let offered = mechanisms.split(separator: " ").map(String.init)
            guard offered.contains(self.options.mechanism.name) else {
                self.state = .closed
                return .closeSocket(
                    AMQPError(.authenticationFailed, message: "the broker offers \(mechanisms), not \(self.options.mechanism.name)")
                )
            }
            self.serverProperties = properties
            self.state = .awaitingTune
            return .send(
                [.startOk(clientProperties: self.clientProperties(for: properties), mechanism: self.options.mechanism.name,
                          response: self.authenticationResponse(), locale: "en_US")],
                tuning: nil
            )
        case (.awaitingTune, .secure):
            return self.violation(503, "the broker sent an authentication challenge, which PLAIN and AMQPLAIN don't use")
        case (.awaitingTune, .tune(let channelMax, let frameMax, let heartbeat)):
            let tuning = Tuning(
                channelMax: Self.negotiate(self.options.channelMax, channelMax),
                frameMax: Self.negotiate(self.options.frameMax, frameMax),
                heartbeat: self.options.heartbeat == 0 ? 0 : Self.negotiate(self.options.heartbeat, heartbeat)
            )
            guard tuning.frameMax == 0 || tuning.frameMax >= 4096 else {
                return self.violation(501, "the broker asked for frame_max \(frameMax); the minimum is 4096")
            }
            self.state = .awaitingOpenOk(tuning)
            return .send(
                [.tuneOk(channelMax: tuning.channelMax, frameMax: tuning.frameMax, heartbeat: tuning.heartbeat),
                 .open(virtualHost: self.options.virtualHost)],
                tuning: tuning
            )
        case (.awaitingOpenOk(let tuning), .openOk):
            self.state = .open(tuning)
            return .opened(tuning, serverProperties: self.serverProperties)
        case (.open, .blocked(let reason)):
            return .blocked(reason)
        case (.open, .unblocked):
            return .unblocked
        case (.closing, .blocked), (.closing, .unblocked):
            return .none
        case (let state, .close(let code, let text, let classID, let methodID)):
            self.state = .closed
            return .sendCloseOkAndClose(Self.closeError(state: state, code: code, text: text, classID: classID, methodID: methodID))
        case (.closing, .closeOk):
            self.state = .closed
            return .closeSocket(nil)
        case (.closed, _):
            return .none
        default:
            return self.violation(503, "unexpected connection.\(AMQPMethod.methodName(classID: 10, methodID: method.methodID))")
        }
    }

    /// The client wants to close.
    mutating func close() -> Action {
        switch self.state {
        case .open(let tuning):
            self.state = .closing(tuning)
            return .send([.close(replyCode: 200, replyText: "Goodbye", classID: 0, methodID: 0)], tuning: nil)
        case .closing:
            return .none
        case .closed:
            return .closeSocket(nil)
        case .initial, .awaitingStart, .awaitingTune, .awaitingOpenOk:
            self.state = .closed
            return .closeSocket(AMQPError(.connectionClosed, message: "the connection was closed during the handshake"))
        }
    }

    /// The decoder or the handler found a frame that breaks the protocol.
    mutating func protocolViolation(_ error: AMQPError, replyCode: UInt16 = 501) -> Action {
        guard self.state != .closed else { return .none }
        self.state = .closed
        return .sendCloseAndClose(replyCode: replyCode, error)
    }

    /// The heartbeat timer fired: send a heartbeat if we've been quiet for half the interval, give up after two
    /// silent intervals from the broker.
    mutating func heartbeatTick(now: NIODeadline, lastRead: NIODeadline, lastWrite: NIODeadline) -> Action {
        guard case .open(let tuning) = self.state, tuning.heartbeat > 0 else { return .none }
        let interval = TimeAmount.seconds(Int64(tuning.heartbeat))
        if now - lastRead > interval * 2 {
            self.state = .closed
            return .closeSocket(
                AMQPError(.heartbeatTimeout, message: "nothing from the broker for \(2 * Int(tuning.heartbeat)) s (heartbeat \(tuning.heartbeat) s)")
            )
        }
        if now - lastWrite >= TimeAmount.milliseconds(Int64(tuning.heartbeat) * 500) { return .sendHeartbeat }
        return .none
    }

    /// The socket closed; returns the error pending operations fail with.
    mutating func channelInactive() -> AMQPError {
        let previous = self.state
        self.state = .closed
        switch previous {
        case .closing: return AMQPError(.connectionClosed, message: "the connection was closed by the client")
        case .awaitingTune:
            return AMQPError(.authenticationFailed, message: "the broker closed the connection after the login (wrong user name or password?)")
        case .initial, .awaitingStart, .awaitingOpenOk:
            return AMQPError(.connectionClosed, message: "the broker closed the connection during the handshake")
        case .open, .closed:
            return AMQPError(.connectionClosed, message: "the connection to the broker was lost")
        }
    }

    private mutating func violation(_ code: UInt16, _ message: String) -> Action {
        self.protocolViolation(.protocolError(message), replyCode: code)
    }

    private static func negotiate<Value: FixedWidthInteger>(_ client: Value, _ server: Value) -> Value {
        if client == 0 || server == 0 { return max(client, server) }
        return min(client, server)
    }

    private static func closeError(state: State, code: UInt16, text: String, classID: UInt16, methodID: UInt16) -> AMQPError {
        switch (state, code) {
        case (.awaitingTune, 403), (.awaitingStart, 403):
            return AMQPError(.authenticationFailed, message: "the broker refused the login", replyCode: code, replyText: text)
        case (.awaitingOpenOk, 530), (.awaitingOpenOk, 403):
            return AMQPError(.accessRefused, message: "the broker refused the virtual host", replyCode: code, replyText: text)
        default:
            var message = "the broker closed the connection"
            if classID != 0 { message += " after \(AMQPMethod.methodNameWithClass(classID: classID, methodID: methodID))" }
            return AMQPError(.connectionClosedByServer, message: message, replyCode: code, replyText: text)
        }
    }

    /// py-amqp's capabilities, sent only when the broker advertises them.
    private func clientProperties(for serverProperties: AMQPTable) -> AMQPTable {
        var properties = self.options.clientProperties
        let offered = serverProperties["capabilities"]?.tableValue ?? [:]
        var capabilities = AMQPTable()
        for name in ["consumer_cancel_notify", "connection.blocked", "authentication_failure_close", "publisher_confirms", "basic.nack"]
        where offered[name]?.boolValue == true {
            capabilities[name] = true
        }
        if !capabilities.isEmpty { properties["capabilities"] = .table(capabilities) }
        return properties
    }

    private func authenticationResponse() -> [UInt8] {
        switch self.options.mechanism {
        case .plain:
            return [0] + Array(self.options.username.utf8) + [0] + Array(self.options.password.utf8)
        case .amqplain:
            // A field table without its length prefix (py-amqp, RabbitMQ's rabbit_auth_mechanism_amqplain).
            var buffer = ByteBuffer()
            try? buffer.writeAMQPTable(["LOGIN": .string(self.options.username), "PASSWORD": .string(self.options.password)])
            return Array(buffer.readableBytesView.dropFirst(4))
        }
    }
}

extension AMQPMethod {
    static func methodNameWithClass(classID: UInt16, methodID: UInt16) -> String {
        let classes: [UInt16: String] = [10: "connection", 20: "channel", 40: "exchange", 50: "queue", 60: "basic", 85: "confirm"]
        return "\(classes[classID] ?? "\(classID)").\(methodName(classID: classID, methodID: methodID))"
    }
}
