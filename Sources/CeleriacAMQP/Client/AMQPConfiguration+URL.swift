extension AMQPConfiguration {
    /// Parses a broker URL the way kombu does: `amqp://user:password@host:port/vhost` or `amqps://...`.
    ///
    /// - Missing user and password mean `guest`/`guest`; a missing host `localhost`; a missing port 5672 (5671 for
    ///   `amqps`).
    /// - The virtual host is the percent-decoded path after the first `/`: `amqp://h//` and `amqp://h/%2f` are `/`,
    ///   `amqp://h/` and `amqp://h` are `/` too (kombu's default), `amqp://h/app` is `app`.
    /// - Query items: `heartbeat` (seconds), `connect_timeout` (seconds), `frame_max`, `channel_max`,
    ///   `login_method` (`PLAIN` or `AMQPLAIN`), and for `amqps` the TLS keys of ``TLS/init(celeryOptions:)``.
    /// - Schemes: `amqp`, `amqps`, and kombu's aliases `pyamqp`, `pyamqps`.
    ///
    /// - Parameter url: The URL.
    /// - Throws: ``AMQPError`` with code ``AMQPError/Code/invalidConfiguration`` naming the defect.
    public init(url: String) throws {
        guard let schemeEnd = url.firstRange(of: "://") else {
            throw AMQPError(.invalidConfiguration, message: "a broker URL starts with amqp:// or amqps://")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        let isTLS: Bool
        switch scheme {
        case "amqp", "pyamqp": isTLS = false
        case "amqps", "pyamqps": isTLS = true
        default: throw AMQPError(.invalidConfiguration, message: "unsupported scheme '\(scheme)'; use amqp:// or amqps://")
        }
        self.init(port: isTLS ? 5671 : 5672)
        if isTLS { self.tls = .enabled() }
        var rest = url[schemeEnd.upperBound...]
        var query: [(String, String)] = []
        if let mark = rest.firstIndex(of: "?") {
            for item in rest[rest.index(after: mark)...].split(separator: "&") where !item.isEmpty {
                let pair = item.split(separator: "=", maxSplits: 1)
                query.append((try Self.decode(pair[0]), pair.count > 1 ? try Self.decode(pair[1]) : ""))
            }
            rest = rest[..<mark]
        }
        let authority: Substring
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            let path = try Self.decode(rest[rest.index(after: slash)...])
            if !path.isEmpty { self.virtualHost = path }
        } else {
            authority = rest
        }
        var hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            hostPort = authority[authority.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                let user = try Self.decode(userInfo[..<colon])
                if !user.isEmpty { self.username = user }
                self.password = try Self.decode(userInfo[userInfo.index(after: colon)...])
            } else if !userInfo.isEmpty {
                self.username = try Self.decode(userInfo)
            }
        }
        if hostPort.hasPrefix("["), let close = hostPort.firstIndex(of: "]") {
            self.host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if after.hasPrefix(":") { self.port = try Self.port(after.dropFirst()) }
        } else if let colon = hostPort.lastIndex(of: ":") {
            if colon != hostPort.startIndex { self.host = String(hostPort[..<colon]) }
            self.port = try Self.port(hostPort[hostPort.index(after: colon)...])
        } else if !hostPort.isEmpty {
            self.host = String(hostPort)
        }
        var tlsOptions: [String: String] = [:]
        for (key, value) in query {
            switch key {
            case "heartbeat": self.heartbeat = .seconds(try Self.number(value, key))
            case "connect_timeout": self.connectTimeout = .milliseconds(Int64(try Self.double(value, key) * 1000))
            case "frame_max": self.frameMax = UInt32(clamping: try Self.number(value, key))
            case "channel_max": self.channelMax = UInt16(clamping: try Self.number(value, key))
            case "login_method":
                guard let mechanism = AuthenticationMechanism(rawValue: value.uppercased()) else {
                    throw AMQPError(.invalidConfiguration, message: "login_method must be PLAIN or AMQPLAIN, not '\(value)'")
                }
                self.mechanism = mechanism
            case let key where key.hasPrefix("ssl_"): tlsOptions[key] = value
            default: break  // kombu ignores transport options it doesn't know too
            }
        }
        if isTLS, !tlsOptions.isEmpty { self.tls = try TLS(celeryOptions: tlsOptions) }
    }

    private static func decode(_ text: Substring) throws -> String {
        guard let decoded = String(text).removingPercentEncodingOrNil() else {
            throw AMQPError(.invalidConfiguration, message: "invalid percent-encoding in the broker URL")
        }
        return decoded
    }

    private static func port(_ text: Substring) throws -> Int {
        guard let port = Int(text), (1...65535).contains(port) else {
            throw AMQPError(.invalidConfiguration, message: "invalid port '\(text)' in the broker URL")
        }
        return port
    }

    private static func number(_ text: String, _ key: String) throws -> Int64 {
        guard let value = Int64(text), value >= 0 else {
            throw AMQPError(.invalidConfiguration, message: "\(key) must be a non-negative integer, not '\(text)'")
        }
        return value
    }

    private static func double(_ text: String, _ key: String) throws -> Double {
        guard let value = Double(text), value >= 0, value < 1e9 else {
            throw AMQPError(.invalidConfiguration, message: "\(key) must be a non-negative number, not '\(text)'")
        }
        return value
    }
}

extension String {
    /// Percent-decoding without Foundation: `nil` for a malformed escape or bytes that aren't UTF-8.
    fileprivate func removingPercentEncodingOrNil() -> String? {
        var bytes: [UInt8] = []
        var iterator = self.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            else { return nil }
            bytes.append(value)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
