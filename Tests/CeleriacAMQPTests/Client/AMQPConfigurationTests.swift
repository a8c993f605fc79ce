import CeleriacAMQP
import Testing

@Suite("AMQP configuration from URLs")
struct AMQPConfigurationTests {
    @Test(arguments: [
        ("amqp://", "localhost", 5672, "guest", "guest", "/"),
        ("amqp://localhost//", "localhost", 5672, "guest", "guest", "/"),
        ("amqp://h/", "h", 5672, "guest", "guest", "/"),
        ("amqp://h", "h", 5672, "guest", "guest", "/"),
        ("amqp://u:p%40ss@h:5679/%2f", "h", 5679, "u", "p@ss", "/"),
        ("amqp://u:pw@h:5672/app", "h", 5672, "u", "pw", "app"),
        ("amqp://u:pw@h/%2fapp", "h", 5672, "u", "pw", "/app"),
        ("amqps://u:pw@broker.example:5671//", "broker.example", 5671, "u", "pw", "/"),
        ("amqps://h//", "h", 5671, "guest", "guest", "/"),
        ("pyamqp://[::1]:5673//", "::1", 5673, "guest", "guest", "/"),
        ("amqp://:pw@h//", "h", 5672, "guest", "pw", "/"),
    ])
    func parses(url: String, host: String, port: Int, user: String, password: String, vhost: String) throws {
        let configuration = try AMQPConfiguration(url: url)
        #expect(configuration.host == host)
        #expect(configuration.port == port)
        #expect(configuration.username == user)
        #expect(configuration.password == password)
        #expect(configuration.virtualHost == vhost)
        #expect(configuration.tls.isEnabled == url.hasPrefix("amqps") || url.hasPrefix("pyamqps"))
    }

    @Test func queryItems() throws {
        let configuration = try AMQPConfiguration(
            url: "amqps://h//?heartbeat=0&connect_timeout=2.5&frame_max=8192&channel_max=16&login_method=AMQPLAIN&ssl_cert_reqs=CERT_NONE"
        )
        #expect(configuration.heartbeat == .zero)
        #expect(configuration.connectTimeout == .milliseconds(2500))
        #expect(configuration.frameMax == 8192)
        #expect(configuration.channelMax == 16)
        #expect(configuration.mechanism == .amqplain)
        #expect(configuration.tls.verification == .none)
    }

    @Test(arguments: ["redis://h", "amqp:h", "amqp://h:0//", "amqp://h:99999//", "amqp://h:x//", "amqp://h//?login_method=KERBEROS", "amqp://h/%zz", "amqp://h//?heartbeat=-1"])
    func rejects(url: String) {
        let error = #expect(throws: AMQPError.self) { try AMQPConfiguration(url: url) }
        #expect(error?.code == .invalidConfiguration)
    }
}
