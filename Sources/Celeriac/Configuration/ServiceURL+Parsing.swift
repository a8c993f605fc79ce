import Foundation

extension ServiceURL {
    /// Parses a broker or backend URL, or several separated by semicolons (failover).
    ///
    /// Accepted forms follow kombu and SQLAlchemy: `redis://:pw@host:6379/0`, `rediss://host?ssl_cert_reqs=required`,
    /// `sentinel://h1:26379;sentinel://h2:26379`, `amqp://user:pw@host:5672//`, `amqp://host/vhost`,
    /// `sqlite:///relative.db`, `sqlite:////absolute.db`, `db+postgresql+psycopg://u:pw@h/db`, `rpc://`,
    /// `django-db`, `memory://`. A bare scheme name (`redis`, `rpc`, `django-db`) means that scheme's defaults.
    ///
    /// - Parameter text: the URL text; surrounding whitespace is ignored.
    /// - Throws: ``CeleriacError`` with code ``CeleriacError/Code/invalidURL`` and one message per defect:
    ///   empty text, no scheme, unsupported scheme (listing the supported ones), a bad port, a missing host,
    ///   a bad Redis database number, a missing SQLite path, a fragment, mixed schemes in a failover list.
    ///   No message contains the password.
    public init(_ text: String) throws(CeleriacError) {
        let segments = text.split(separator: ";", omittingEmptySubsequences: false)
            .map { ConfigText.trimmed($0) }
            .filter { !$0.isEmpty }
        guard let first = segments.first else {
            throw CeleriacError(.invalidURL, "Empty URL: expected a broker or backend URL such as redis://localhost:6379/0")
        }
        var primary = try ServiceURL.parseSingle(first)
        for segment in segments.dropFirst() {
            let alternate = try ServiceURL.parseSingle(segment)
            guard alternate.scheme == primary.scheme else {
                throw CeleriacError(
                    .invalidURL,
                    "Failover URLs must all use the same scheme: \(primary.scheme)://... is followed by \(alternate.scheme)://... in \(ServiceURL.redact(text))"
                )
            }
            primary.alternates.append(alternate)
        }
        self = primary
    }

    /// Replaces the password in any URL-looking text by `***`, even text that does not parse.
    ///
    /// Use it to quote user-supplied URLs in errors and logs.
    /// - Parameter text: one URL or several separated by `;`.
    /// - Returns: the text with everything between the first `:` of each `scheme://user:password@` and the
    ///   last `@` of that URL replaced by `***`.
    public static func redact(_ text: String) -> String {
        text.split(separator: ";", omittingEmptySubsequences: false).map { segment -> String in
            let s = String(segment)
            guard let schemeEnd = s.range(of: "://"), let at = s[schemeEnd.upperBound...].lastIndex(of: "@") else { return s }
            let userinfo = s[schemeEnd.upperBound..<at]
            guard let colon = userinfo.firstIndex(of: ":") else { return s }
            return String(s[..<colon]) + ":***" + String(s[at...])
        }.joined(separator: ";")
    }

    /// Parses one URL (no semicolons).
    private static func parseSingle(_ text: String) throws(CeleriacError) -> ServiceURL {
        let shown = redact(text)
        let schemeText: String
        let rest: Substring
        if let separator = text.range(of: "://") {
            schemeText = text[..<separator.lowerBound].lowercased()
            rest = text[separator.upperBound...]
        } else if let bare = Scheme.supported.first(where: { $0.rawValue == text.lowercased() }) {
            schemeText = bare.rawValue
            rest = ""
        } else {
            throw CeleriacError(
                .invalidURL,
                "URL \"\(shown)\" has no scheme: write it as scheme://host..., with one of \(supportedList)"
            )
        }
        guard !schemeText.isEmpty, isValidScheme(schemeText) else {
            throw CeleriacError(.invalidURL, "URL \"\(shown)\" has no valid scheme before \"://\": expected one of \(supportedList)")
        }
        let (scheme, driver) = try resolveScheme(schemeText, shown: shown)
        if rest.contains("#") {
            throw CeleriacError(
                .invalidURL,
                "URL \"\(shown)\" contains '#': a URL cannot have a fragment; percent-encode '#' in a password as %23"
            )
        }

        // Split authority / path / query as Python's urlsplit does.
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var afterAuthority = rest[authorityEnd...]
        var queryText: Substring = ""
        if let question = afterAuthority.firstIndex(of: "?") {
            queryText = afterAuthority[afterAuthority.index(after: question)...]
            afterAuthority = afterAuthority[..<question]
        }
        let rawPath = afterAuthority.first == "/" ? afterAuthority.dropFirst() : afterAuthority

        // userinfo@host:port, splitting at the last '@' like urlsplit.
        var rawUser: Substring = ""
        var rawPassword: Substring?
        var hostPort = authority
        var hasUserinfo = false
        if let at = authority.lastIndex(of: "@") {
            hasUserinfo = true
            let userinfo = authority[..<at]
            hostPort = authority[authority.index(after: at)...]
            if let colon = userinfo.firstIndex(of: ":") {
                rawUser = userinfo[..<colon]
                rawPassword = userinfo[userinfo.index(after: colon)...]
            } else {
                rawUser = userinfo
            }
        }
        let (rawHost, rawPort) = try splitHostPort(hostPort, shown: shown)

        var url = ServiceURL(
            scheme: scheme, driver: driver, host: nil, port: nil,
            user: nonEmpty(percentDecode(rawUser)), password: rawPassword.map { nonEmpty(percentDecode($0)) } ?? nil,
            path: percentDecode(rawPath), queryItems: parseQuery(queryText), alternates: [], redactedText: ""
        )
        let host = percentDecode(rawHost).lowercased()
        if let rawPort, !rawPort.isEmpty {
            guard rawPort.allSatisfy(ConfigText.isDigit), let port = Int(rawPort), (1...65535).contains(port) else {
                throw CeleriacError(
                    .invalidURL,
                    "Bad port \"\(rawPort)\" in \(scheme) URL \"\(shown)\": a port is a number from 1 to 65535"
                )
            }
            url.port = port
        }
        try url.applySchemeRules(host: host, hasUserinfo: hasUserinfo, shown: shown)

        var redacted = schemeText + "://"
        if hasUserinfo {
            redacted += rawUser
            if rawPassword != nil { redacted += ":***" }
            redacted += "@"
        }
        redacted += hostPort + rest[authority.endIndex...]
        url.redactedText = text.contains("://") ? redactQuery(redacted) : schemeText
        return url
    }

    /// Checks host, port and path against what the scheme needs, filling in defaults.
    private mutating func applySchemeRules(host: String, hasUserinfo: Bool, shown: String) throws(CeleriacError) {
        if scheme == .sqlite {
            guard host.isEmpty, port == nil, !hasUserinfo else {
                throw CeleriacError(
                    .invalidURL,
                    "SQLite URL \"\(shown)\" names a host: write sqlite:///relative.db (three slashes) or sqlite:////absolute/path.db (four)"
                )
            }
            guard !path.isEmpty else {
                throw CeleriacError(
                    .invalidURL,
                    "SQLite URL \"\(shown)\" has no file path: write sqlite:///relative.db (three slashes) or sqlite:////absolute/path.db (four)"
                )
            }
            return
        }
        if scheme.isNetworked {
            if host.isEmpty && (port != nil || hasUserinfo) {
                throw CeleriacError(
                    .invalidURL,
                    "Missing host in \(scheme) URL \"\(shown)\": write \(scheme)://[user:password@]host[:port]..."
                )
            }
            self.host = host.isEmpty ? "localhost" : host
            if port == nil { port = scheme.defaultPort }
        } else {
            self.host = host.isEmpty ? nil : host
        }
        if scheme.isRedis, !path.isEmpty {
            guard path.allSatisfy(ConfigText.isDigit), Int(path) != nil else {
                throw CeleriacError(
                    .invalidURL,
                    "Bad Redis database number \"\(path)\" in \(scheme) URL \"\(shown)\": the path must be a number such as /0"
                )
            }
        }
    }

    /// Maps the scheme text to a ``Scheme`` and an optional SQLAlchemy driver.
    private static func resolveScheme(_ text: String, shown: String) throws(CeleriacError) -> (Scheme, String?) {
        if let known = Scheme.supported.first(where: { $0.rawValue == text }) { return (known, nil) }
        let postgresPrefix = Scheme.dbPostgresql.rawValue + "+"
        if text.hasPrefix(postgresPrefix), text.count > postgresPrefix.count {
            return (.dbPostgresql, String(text.dropFirst(postgresPrefix.count)))
        }
        // django-db+postgresql://user:pw@host/db: django-celery-results' tables on that database.
        let djangoPrefix = Scheme.djangoDB.rawValue + "+"
        if text.hasPrefix(djangoPrefix), text.count > djangoPrefix.count {
            return (.djangoDB, String(text.dropFirst(djangoPrefix.count)))
        }
        var hint = ""
        switch text {
        case "postgres", "postgresql", "db+postgres": hint = " (for a PostgreSQL result backend write db+postgresql://)"
        case "sqla+sqlite", "db+sqlite": hint = " (for Celeriac's embedded SQLite broker and backend write sqlite:///file.db)"
        case "librabbitmq": hint = " (write amqp://)"
        case "django-cache", "django": hint = " (for django-celery-results write django-db)"
        default: break
        }
        throw CeleriacError(.invalidURL, "Unsupported URL scheme \"\(text)\" in \"\(shown)\"\(hint): supported schemes are \(supportedList)")
    }

    /// The supported schemes, for error messages.
    private static var supportedList: String {
        Scheme.supported.map { $0 == .djangoDB ? $0.rawValue : $0.rawValue + "://" }.joined(separator: ", ")
    }

    /// RFC 3986 scheme characters: a letter, then letters, digits, `+`, `-`, `.`.
    private static func isValidScheme(_ text: String) -> Bool {
        guard let first = text.first, first.isASCII, first.isLetter else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == ".") }
    }

    /// Splits `host:port`, `[v6]:port` or `host`.
    private static func splitHostPort(_ text: Substring, shown: String) throws(CeleriacError) -> (Substring, Substring?) {
        if text.first == "[" {
            guard let close = text.firstIndex(of: "]") else {
                throw CeleriacError(.invalidURL, "Bad IPv6 host in URL \"\(shown)\": missing ']'")
            }
            let host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if after.isEmpty { return (host, nil) }
            guard after.first == ":" else {
                throw CeleriacError(.invalidURL, "Bad IPv6 host in URL \"\(shown)\": expected ':port' after ']'")
            }
            return (host, after.dropFirst())
        }
        guard let colon = text.lastIndex(of: ":") else { return (text, nil) }
        return (text[..<colon], text[text.index(after: colon)...])
    }

    /// Python's `parse_qsl` with blank values kept.
    private static func parseQuery(_ text: Substring) -> [QueryItem] {
        text.split(whereSeparator: { $0 == "&" || $0 == ";" }).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = percentDecode(parts[0], plusIsSpace: true)
            let value = parts.count > 1 ? percentDecode(parts[1], plusIsSpace: true) : ""
            return QueryItem(name: name, value: value)
        }
    }

    /// Hides the values of query items whose name mentions a password.
    private static func redactQuery(_ redacted: String) -> String {
        guard let question = redacted.firstIndex(of: "?") else { return redacted }
        let query = redacted[redacted.index(after: question)...].split(separator: "&", omittingEmptySubsequences: false).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0].lowercased().contains("password") else { return String(pair) }
            return parts[0] + "=***"
        }
        return String(redacted[...question]) + query.joined(separator: "&")
    }

    /// Decodes `%XX` escapes as UTF-8; a malformed escape stays as written (Python's `unquote`).
    static func percentDecode(_ text: Substring, plusIsSpace: Bool = false) -> String {
        guard text.contains("%") || (plusIsSpace && text.contains("+")) else { return String(text) }
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%"), index + 2 < utf8.count, let high = hexValue(utf8[index + 1]), let low = hexValue(utf8[index + 2]) {
                bytes.append(high << 4 | low)
                index += 3
            } else {
                bytes.append(plusIsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func nonEmpty(_ text: String) -> String? { text.isEmpty ? nil : text }
}
