import CeleriacAMQP
import CeleriacTesting
import Foundation
import NIOCore
import Testing

/// `amqps://` against a private RabbitMQ node with a TLS listener and an openssl-made certificate.
@Suite("AMQP over TLS", .timeLimit(.minutes(5)))
struct AMQPTLSTests {
    private static var hasOpenSSL: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") }

    @Test(.enabled(if: hasOpenSSL, "openssl not installed"))
    func amqpsWithAVerifiedCertificate() async throws {
        guard RabbitMQServerProcess.shouldRun else {
            print("note: rabbitmq-server is not installed; skipping the TLS test")
            return
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("celeriac-amqp-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let cert = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        try await Self.openssl([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
        ])
        let tlsPort = try RedisServerProcess.freePort()
        let lines = [
            "listeners.ssl.default = 127.0.0.1:\(tlsPort)",
            "ssl_options.cacertfile = \(cert)", "ssl_options.certfile = \(cert)", "ssl_options.keyfile = \(key)",
            "ssl_options.verify = verify_none", "ssl_options.fail_if_no_peer_cert = false",
        ]
        try await withRabbitMQServer(configLines: lines) { _ in
            let url = "amqps://guest:guest@localhost:\(tlsPort)//?ssl_cert_reqs=CERT_REQUIRED&ssl_ca_certs=\(cert)"
            let configuration = try AMQPConfiguration(url: url)
            #expect(configuration.tls.isEnabled && configuration.tls.verification == .full)
            let connection = try await AMQPConnection.open(configuration: configuration, logger: AMQPTestSupport.logger)
            let channel = try await connection.openChannel()
            let queue = try await channel.declareQueue("", exclusive: true)
            try await channel.publish("over tls", routingKey: queue.name)
            let got = try #require(try await channel.get(queue: queue.name, noAck: true))
            #expect(String(buffer: got.delivery.body) == "over tls")
            await connection.close()

            // Without the CA, full verification refuses the self-signed certificate: a clear connect error.
            var untrusted = try AMQPConfiguration(url: "amqps://guest:guest@localhost:\(tlsPort)//")
            untrusted.connectTimeout = .seconds(10)
            let error = await #expect(throws: AMQPError.self) {
                try await AMQPConnection.open(configuration: untrusted, logger: AMQPTestSupport.logger)
            }
            #expect(error?.code == .connectionFailed)
        }
    }

    static func openssl(_ arguments: [String]) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        #expect(process.terminationStatus == 0)
    }
}
