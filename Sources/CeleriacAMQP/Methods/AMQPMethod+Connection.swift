import NIOCore

extension AMQPMethod {
    /// The `connection` class: handshake, tuning, close, flow control by the broker.
    public enum Connection: Hashable, Sendable {
        /// `connection.start`: the broker's version, properties, auth mechanisms and locales.
        case start(versionMajor: UInt8, versionMinor: UInt8, serverProperties: AMQPTable, mechanisms: String, locales: String)
        /// `connection.start-ok`: the client's properties, chosen mechanism, auth response and locale.
        case startOk(clientProperties: AMQPTable, mechanism: String, response: [UInt8], locale: String)
        /// `connection.secure`: an auth challenge.
        case secure(challenge: [UInt8])
        /// `connection.secure-ok`: the answer to a challenge.
        case secureOk(response: [UInt8])
        /// `connection.tune`: the broker's limits (0 = no limit / no heartbeats).
        case tune(channelMax: UInt16, frameMax: UInt32, heartbeat: UInt16)
        /// `connection.tune-ok`: the values the client agrees to.
        case tuneOk(channelMax: UInt16, frameMax: UInt32, heartbeat: UInt16)
        /// `connection.open`: the virtual host.
        case open(virtualHost: String)
        /// `connection.open-ok`.
        case openOk
        /// `connection.close`: why, and which method caused it (0 if none).
        case close(replyCode: UInt16, replyText: String, classID: UInt16, methodID: UInt16)
        /// `connection.close-ok`.
        case closeOk
        /// `connection.blocked`: the broker stopped reading publishes (a resource alarm).
        case blocked(reason: String)
        /// `connection.unblocked`.
        case unblocked

        var methodID: UInt16 {
            switch self {
            case .start: 10
            case .startOk: 11
            case .secure: 20
            case .secureOk: 21
            case .tune: 30
            case .tuneOk: 31
            case .open: 40
            case .openOk: 41
            case .close: 50
            case .closeOk: 51
            case .blocked: 60
            case .unblocked: 61
            }
        }

        init(methodID: UInt16, from buffer: inout ByteBuffer) throws(AMQPError) {
            switch methodID {
            case 10:
                let major: UInt8 = try buffer.readAMQPInteger()
                let minor: UInt8 = try buffer.readAMQPInteger()
                let properties = try buffer.readAMQPTable()
                let mechanisms = String(decoding: try buffer.readAMQPLongString(), as: UTF8.self)
                let locales = String(decoding: try buffer.readAMQPLongString(), as: UTF8.self)
                self = .start(versionMajor: major, versionMinor: minor, serverProperties: properties, mechanisms: mechanisms, locales: locales)
            case 11:
                let properties = try buffer.readAMQPTable()
                let mechanism = try buffer.readAMQPShortString()
                let response = try buffer.readAMQPLongString()
                self = .startOk(clientProperties: properties, mechanism: mechanism, response: response, locale: try buffer.readAMQPShortString())
            case 20: self = .secure(challenge: try buffer.readAMQPLongString())
            case 21: self = .secureOk(response: try buffer.readAMQPLongString())
            case 30, 31:
                let channelMax: UInt16 = try buffer.readAMQPInteger()
                let frameMax: UInt32 = try buffer.readAMQPInteger()
                let heartbeat: UInt16 = try buffer.readAMQPInteger()
                self = methodID == 30
                    ? .tune(channelMax: channelMax, frameMax: frameMax, heartbeat: heartbeat)
                    : .tuneOk(channelMax: channelMax, frameMax: frameMax, heartbeat: heartbeat)
            case 40:
                let vhost = try buffer.readAMQPShortString()
                _ = try buffer.readAMQPShortString()
                _ = try buffer.readAMQPBits(1)
                self = .open(virtualHost: vhost)
            case 41:
                _ = try buffer.readAMQPShortString()
                self = .openOk
            case 50:
                let code: UInt16 = try buffer.readAMQPInteger()
                let text = try buffer.readAMQPShortString()
                let classID: UInt16 = try buffer.readAMQPInteger()
                self = .close(replyCode: code, replyText: text, classID: classID, methodID: try buffer.readAMQPInteger())
            case 51: self = .closeOk
            case 60: self = .blocked(reason: try buffer.readAMQPShortString())
            case 61: self = .unblocked
            default: throw AMQPMethod.unknown("connection", methodID)
            }
        }

        func encode(into buffer: inout ByteBuffer) throws(AMQPError) {
            switch self {
            case .start(let major, let minor, let properties, let mechanisms, let locales):
                buffer.writeInteger(major)
                buffer.writeInteger(minor)
                try buffer.writeAMQPTable(properties)
                buffer.writeAMQPLongString(Array(mechanisms.utf8))
                buffer.writeAMQPLongString(Array(locales.utf8))
            case .startOk(let properties, let mechanism, let response, let locale):
                try buffer.writeAMQPTable(properties)
                try buffer.writeAMQPShortString(mechanism)
                buffer.writeAMQPLongString(response)
                try buffer.writeAMQPShortString(locale)
            case .secure(let bytes), .secureOk(let bytes):
                buffer.writeAMQPLongString(bytes)
            case .tune(let channelMax, let frameMax, let heartbeat), .tuneOk(let channelMax, let frameMax, let heartbeat):
                buffer.writeInteger(channelMax)
                buffer.writeInteger(frameMax)
                buffer.writeInteger(heartbeat)
            case .open(let vhost):
                try buffer.writeAMQPShortString(vhost)
                try buffer.writeAMQPShortString("")
                buffer.writeAMQPBits(false)
            case .openOk:
                try buffer.writeAMQPShortString("")
            case .close(let code, let text, let classID, let methodID):
                buffer.writeInteger(code)
                try buffer.writeAMQPShortString(text)
                buffer.writeInteger(classID)
                buffer.writeInteger(methodID)
            case .closeOk, .unblocked:
                break
            case .blocked(let reason):
                try buffer.writeAMQPShortString(reason)
            }
        }
    }
}
