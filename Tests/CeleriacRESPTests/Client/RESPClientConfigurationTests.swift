import Testing

@testable import CeleriacRESP

@Suite struct RESPClientConfigurationTests {
    @Test func plainURLs() throws {
        let bare = try RESPClient.Configuration(url: "redis://")
        #expect(bare.endpoint.address == .init(host: "localhost", port: 6379))
        #expect(bare.database == 0 && bare.password == nil && !bare.tls.isEnabled)

        let full = try RESPClient.Configuration(url: "redis://:s%40cr%3At@cache.local:6380/2")
        #expect(full.endpoint.address == .init(host: "cache.local", port: 6380))
        #expect(full.username == nil && full.password == "s@cr:t" && full.database == 2)

        let acl = try RESPClient.Configuration(url: "redis://celery:pw@10.0.0.1/5?socket_timeout=2.5&socket_connect_timeout=1&protocol=3&client_name=w1&max_connections=8")
        #expect(acl.username == "celery" && acl.password == "pw" && acl.database == 5)
        #expect(acl.commandTimeout == .milliseconds(2500) && acl.connectTimeout == .seconds(1))
        #expect(acl.protocolVersion == .resp3 && acl.clientName == "w1" && acl.poolSize == 8)

        let ipv6 = try RESPClient.Configuration(url: "redis://[::1]:7000?db=4")
        #expect(ipv6.endpoint.address == .init(host: "::1", port: 7000) && ipv6.database == 4)
        #expect(ipv6.endpoint.address?.description == "[::1]:7000")
    }

    @Test func tlsURLsMapCeleryOptions() throws {
        let secure = try RESPClient.Configuration(url: "rediss://:pw@h:6380/0")
        #expect(secure.tls.isEnabled && secure.tls.verification == .full)

        let required = try RESPClient.Configuration(url: "rediss://h?ssl_cert_reqs=CERT_REQUIRED&ssl_ca_certs=%2Fetc%2Fca.pem")
        #expect(required.tls.verification == .full && required.tls.caCertificatePath == "/etc/ca.pem")

        let optional = try RESPClient.Configuration(url: "rediss://h?ssl_cert_reqs=optional&ssl_certfile=/c.pem&ssl_keyfile=/k.pem")
        #expect(optional.tls.verification == .noHostnameVerification)
        #expect(optional.tls.certificatePath == "/c.pem" && optional.tls.privateKeyPath == "/k.pem")

        let none = try RESPClient.Configuration(url: "rediss://h?ssl_cert_reqs=none")
        #expect(none.tls.verification == .none)

        let noHostname = try RESPClient.Configuration(url: "rediss://h?ssl_check_hostname=false")
        #expect(noHostname.tls.verification == .noHostnameVerification)

        let plain = try RESPClient.Configuration(url: "redis://h?ssl_cert_reqs=none")
        #expect(!plain.tls.isEnabled)
    }

    @Test func sentinelURLs() throws {
        let configuration = try RESPClient.Configuration(
            url: "sentinel://:pw@s1:26379/1;sentinel://s2;sentinel://s3:26380?master_name=mymaster&sentinel_password=sp"
        )
        #expect(configuration.endpoint.sentinels == [.init(host: "s1", port: 26379), .init(host: "s2", port: 26379), .init(host: "s3", port: 26380)])
        #expect(configuration.endpoint.masterName == "mymaster")
        #expect(configuration.password == "pw" && configuration.database == 1)
        guard case .sentinel(_, _, _, let sentinelPassword) = configuration.endpoint.base else {
            Issue.record("not a sentinel endpoint")
            return
        }
        #expect(sentinelPassword == "sp")

        let named = try RESPClient.Configuration(url: "sentinel://s1:26379", sentinelMasterName: "other")
        #expect(named.endpoint.masterName == "other")
    }

    @Test(arguments: [
        ("localhost:6379", "no scheme"),
        ("http://h", "unsupported URL scheme"),
        ("unix:///tmp/redis.sock", "Unix socket"),
        ("redis://h:0", "port"),
        ("redis://h:99999", "port"),
        ("redis://h:abc", "port"),
        ("redis://h/x", "database"),
        ("redis://h/-1", "database"),
        ("redis://:p%zz@h", "percent"),
        ("redis://h?protocol=4", "protocol"),
        ("redis://h?socket_timeout=-1", "socket_timeout"),
        ("redis://[::1", "IPv6"),
        ("rediss://h?ssl_cert_reqs=maybe", "ssl_cert_reqs"),
        ("sentinel://s1:26379", "master name"),
        ("sentinel://s1;redis://s2?master_name=m", "sentinel://"),
        ("redis://a;rediss://b", "same scheme"),
    ])
    func invalidURLsNameTheirDefect(url: String, expected: String) throws {
        let error = try #require(throws: RESPError.self) { try RESPClient.Configuration(url: url) }
        #expect(error.code == .invalidConfiguration)
        #expect(error.message?.contains(expected) == true, "\(error)")
    }

    @Test func failoverListsKeepEveryServerAndTheFirstURLsSettings() throws {
        let configuration = try RESPClient.Configuration(url: "redis://:pw@a:6380/2;redis://b;redis://c:7000/5")
        #expect(configuration.endpoint == .failover([.init(host: "a", port: 6380), .init(host: "b", port: 6379), .init(host: "c", port: 7000)]))
        #expect(configuration.endpoint.address == .init(host: "a", port: 6380))
        #expect(configuration.password == "pw" && configuration.database == 2)
        #expect(try RESPClient.Configuration(url: "redis://a;").endpoint == .server(host: "a"))
    }

    @Test func errorsNeverRepeatThePassword() throws {
        let error = try #require(throws: RESPError.self) { try RESPClient.Configuration(url: "redis://:hunter2@h:notaport") }
        #expect(!error.description.contains("hunter2") && !error.debugDescription.contains("hunter2"))
    }

    @Test func backoffGrowsAndCaps() {
        var backoff = RESPClient.Configuration.Backoff()
        backoff.jitter = 0
        #expect(backoff.delay(afterFailures: 1) == .milliseconds(100))
        #expect(backoff.delay(afterFailures: 3) == .milliseconds(400))
        #expect(backoff.delay(afterFailures: 60) == .seconds(2))
        backoff.jitter = 0.2
        let jittered = backoff.delay(afterFailures: 2)
        #expect(jittered >= .milliseconds(200) && jittered <= .milliseconds(240))
    }
}
