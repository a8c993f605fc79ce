extension RESPClient.Configuration {
    /// Reads a Redis URL as Celery and redis-py write them.
    ///
    /// - `redis://[[user]:password@]host[:port][/db][?options]`: plain TCP, port 6379 by default.
    /// - `rediss://...`: TLS, checking the server's certificate unless `ssl_cert_reqs` says otherwise.
    /// - `redis://host1/0;redis://host2/0`: kombu's failover list, servers tried in turn (``Endpoint/failover(_:)``);
    ///   the first URL's credentials, database and options apply to all.
    /// - `sentinel://[[user]:password@]host:port[/db];sentinel://host2:port2[?options]`: Sentinels (port 26379 by
    ///   default); the credentials and database (from the first part that has them) are the master's, the master
    ///   name comes from the `master_name` option or `sentinelMasterName`.
    ///
    /// Options: `ssl_cert_reqs`, `ssl_ca_certs`, `ssl_certfile`, `ssl_keyfile`, `ssl_check_hostname` (see
    /// ``TLS/init(celeryOptions:)``), `db`, `socket_connect_timeout` and `socket_timeout` (seconds),
    /// `protocol` (2 or 3), `client_name`, `max_connections` (pool size), `master_name`, `sentinel_username`,
    /// `sentinel_password`. Other options are ignored. User, password and values are percent-decoded.
    /// - Parameters:
    ///   - url: The URL.
    ///   - sentinelMasterName: The master's name for `sentinel://` URLs, if the URL doesn't carry `master_name`.
    /// - Throws: ``RESPError`` with code ``RESPError/Code/invalidConfiguration`` naming the defect; the message
    ///   never repeats the URL, which may hold a password.
    public init(url: String, sentinelMasterName: String? = nil) throws {
        guard let schemeEnd = url.firstRange(of: "://") else { throw Self.invalid("the URL has no scheme") }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        switch scheme {
        case "redis", "rediss", "valkey", "valkeys":
            // kombu's failover list: `redis://a:6379/0;redis://b:6379/0`; the first URL's credentials, database
            // and options apply to every server.
            let pieces = url.split(separator: ";", omittingEmptySubsequences: true).map(String.init)
            var addresses: [Address] = []
            var first: URLParts?
            for piece in pieces {
                guard let end = piece.firstRange(of: "://"), piece[..<end.lowerBound].lowercased() == scheme else {
                    throw Self.invalid("every URL of a failover list must use the same scheme")
                }
                let parts = try URLParts(String(piece[end.upperBound...]), defaultPort: 6379)
                addresses.append(Address(host: parts.host, port: parts.port))
                if first == nil { first = parts }
            }
            guard let parts = first else { throw Self.invalid("the URL names no server") }
            self.init(endpoint: .failover(addresses))
            try self.apply(parts, tls: scheme == "rediss" || scheme == "valkeys")
        case "sentinel":
            let pieces = url.split(separator: ";", omittingEmptySubsequences: true).map(String.init)
            var nodes: [Address] = []
            var first: URLParts?
            var options: [String: String] = [:]
            for piece in pieces {
                guard let end = piece.firstRange(of: "://"), piece[..<end.lowerBound].lowercased() == "sentinel" else {
                    throw Self.invalid("every part of a Sentinel URL must start with sentinel://")
                }
                let parts = try URLParts(String(piece[end.upperBound...]), defaultPort: 26379)
                nodes.append(Address(host: parts.host, port: parts.port))
                options.merge(parts.options) { _, new in new }
                // Credentials and database may sit on any part: the first part that names them wins.
                if var merged = first {
                    if merged.password == nil, merged.username == nil {
                        (merged.username, merged.password) = (parts.username, parts.password)
                    }
                    merged.database = merged.database ?? parts.database
                    first = merged
                } else {
                    first = parts
                }
            }
            guard var parts = first else { throw Self.invalid("the Sentinel URL names no Sentinel") }
            parts.options = options
            guard let masterName = options["master_name"] ?? sentinelMasterName, !masterName.isEmpty else {
                throw Self.invalid("a Sentinel URL needs a master name (master_name option)")
            }
            self.init(
                endpoint: .sentinel(
                    nodes,
                    masterName: masterName,
                    username: options["sentinel_username"],
                    password: options["sentinel_password"]
                )
            )
            try self.apply(parts, tls: false)
        case "unix", "redis+socket", "socket":
            throw Self.invalid("Unix socket URLs are not supported")
        default:
            throw Self.invalid("unsupported URL scheme '\(scheme)'; expected redis, rediss or sentinel")
        }
    }

    private mutating func apply(_ parts: URLParts, tls: Bool) throws {
        self.username = parts.username
        self.password = parts.password
        let options = parts.options
        if let db = options["db"] ?? parts.database {
            guard let number = Int(db), number >= 0 else { throw Self.invalid("the database must be a number ≥ 0") }
            self.database = number
        }
        if tls { self.tls = try TLS(celeryOptions: options) }
        if let value = options["socket_connect_timeout"] {
            self.connectTimeout = try Self.seconds(value, option: "socket_connect_timeout")
        }
        if let value = options["socket_timeout"] {
            self.commandTimeout = try Self.seconds(value, option: "socket_timeout")
        }
        switch options["protocol"] {
        case nil: break
        case "2": self.protocolVersion = .resp2
        case "3": self.protocolVersion = .resp3
        default: throw Self.invalid("protocol must be 2 or 3")
        }
        if let name = options["client_name"], !name.isEmpty { self.clientName = name }
        if let size = options["max_connections"] {
            guard let number = Int(size), number > 0 else { throw Self.invalid("max_connections must be a number > 0") }
            self.poolSize = number
        }
    }

    private static func seconds(_ text: String, option: String) throws -> Duration {
        guard let seconds = Double(text), seconds > 0, seconds < 1e9 else {
            throw Self.invalid("\(option) must be a positive number of seconds")
        }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    static func invalid(_ message: String) -> RESPError {
        RESPError(.invalidConfiguration, message: message)
    }
}

/// The pieces of `[[user]:password@]host[:port][/db][?query]`.
private struct URLParts {
    var username: String?
    var password: String?
    var host: String
    var port: Int
    var database: String?
    var options: [String: String] = [:]

    init(_ rest: String, defaultPort: Int) throws {
        var rest = Substring(rest)
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        if let question = rest.firstIndex(of: "?") {
            for item in rest[rest.index(after: question)...].split(separator: "&") where !item.isEmpty {
                let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = try Self.decode(pair[0])
                self.options[key] = try pair.count > 1 ? Self.decode(pair[1]) : ""
            }
            rest = rest[..<question]
        }
        var authority = rest
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            let path = rest[rest.index(after: slash)...]
            if !path.isEmpty { self.database = try Self.decode(path) }
        }
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            authority = authority[authority.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                let user = try Self.decode(userInfo[..<colon])
                self.username = user.isEmpty ? nil : user
                self.password = try Self.decode(userInfo[userInfo.index(after: colon)...])
            } else {
                let user = try Self.decode(userInfo)
                self.username = user.isEmpty ? nil : user
            }
        }
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw RESPClient.Configuration.invalid("unclosed IPv6 bracket") }
            self.host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty {
                throw RESPClient.Configuration.invalid("unexpected text after the IPv6 address")
            }
        } else if let colon = authority.lastIndex(of: ":") {
            self.host = try Self.decode(authority[..<colon])
            portText = authority[authority.index(after: colon)...]
        } else {
            self.host = try Self.decode(authority)
        }
        if self.host.isEmpty { self.host = "localhost" }
        if let portText {
            guard let port = Int(portText), (1...65535).contains(port) else {
                throw RESPClient.Configuration.invalid("the port must be a number from 1 to 65535")
            }
            self.port = port
        } else {
            self.port = defaultPort
        }
    }

    /// Percent-decodes `text` as UTF-8.
    static func decode(_ text: Substring) throws -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(Self.hexValue), let low = iterator.next().flatMap(Self.hexValue) else {
                throw RESPClient.Configuration.invalid("malformed percent-encoding")
            }
            bytes.append(high << 4 | low)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
