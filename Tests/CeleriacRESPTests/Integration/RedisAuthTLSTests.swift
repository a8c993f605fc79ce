import CeleriacTesting
import Foundation
import Logging
import NIOCore
import Testing

@testable import CeleriacRESP

/// `AUTH` with a password and with an ACL user, and TLS with each verification mode.
@Suite(.enabled(if: RedisServer.shouldRun, "redis-server not installed"))
struct RedisAuthTLSTests {
    static let logger = Logger(label: "resp.integration")

    private func connect(_ port: Int, host: String = "127.0.0.1", _ configure: (inout RESPClient.Configuration) -> Void) async throws -> RESPConnection {
        var configuration = RESPClient.Configuration(host: host, port: port)
        configuration.connectTimeout = .seconds(5)
        configure(&configuration)
        return try await RESPConnection.connect(host: host, port: port, configuration: configuration, logger: Self.logger)
    }

    @Test(arguments: [RESPProtocolVersion.resp2, .resp3])
    func passwordAndACLUser(version: RESPProtocolVersion) async throws {
        try await withRedisServer(["--requirepass", "s3cret"]) { server in
            let admin = try await connect(server.port) {
                $0.password = "s3cret"
                $0.protocolVersion = version
            }
            #expect(try await admin.send(RESPCommand("PING")) == .simpleString("PONG"))
            try await admin.send(RESPCommand("ACL", "SETUSER", "celery", "on", ">pw", "~*", "&*", "+@all"))
            await admin.close()

            let noPassword = await #expect(throws: RESPError.self) { try await connect(server.port) { $0.protocolVersion = version } }
            #expect(noPassword?.serverErrorPrefix == "NOAUTH")

            let wrong = await #expect(throws: RESPError.self) {
                try await connect(server.port) {
                    $0.password = "nope"
                    $0.protocolVersion = version
                }
            }
            #expect(wrong?.serverErrorPrefix == "WRONGPASS")
            #expect(wrong.map { !$0.description.contains("nope") } == true)

            let user = try await connect(server.port) {
                $0.username = "celery"
                $0.password = "pw"
                $0.protocolVersion = version
                $0.database = 1
            }
            #expect(try await user.send(RESPCommand("ACL", "WHOAMI")).string == "celery")
            await user.close()

            let wrongUser = await #expect(throws: RESPError.self) {
                try await connect(server.port) {
                    $0.username = "celery"
                    $0.password = "bad"
                    $0.protocolVersion = version
                }
            }
            #expect(wrongUser?.serverErrorPrefix == "WRONGPASS")

            let viaURL = RESPClient(configuration: try .init(url: "redis://celery:pw@127.0.0.1:\(server.port)/0"), logger: Self.logger)
            #expect(try await viaURL.send("ACL", "WHOAMI").string == "celery")
            await viaURL.close()
        }
    }

    /// Writes a self-signed certificate for `localhost` (a DNS name only, no IP address) into `directory`.
    private func makeCertificate(in directory: URL) async throws -> (cert: String, key: String) {
        let cert = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        try await runTool("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
        ])
        return (cert, key)
    }

    private static var hasOpenSSL: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") }

    @Test(.enabled(if: hasOpenSSL, "openssl not installed"))
    func tlsVerificationModes() async throws {
        let directory = try RedisServer.makeTemporaryDirectory()
        let (cert, key) = try await makeCertificate(in: directory)
        let tlsPort = try RedisServer.freePort()
        let server: RedisServer
        do {
            server = try await RedisServer.start(
                ["--tls-port", "\(tlsPort)", "--tls-cert-file", cert, "--tls-key-file", key, "--tls-ca-cert-file", cert,
                 "--tls-auth-clients", "optional"],
                directory: directory,
                readyPort: tlsPort
            )
        } catch {
            // A redis-server built without TLS refuses --tls-port: then only the failure paths are testable.
            try await self.tlsFailsAgainstAPlainServer()
            return
        }
        do {
            try await self.checkTLS(port: tlsPort, cert: cert, key: key)
            await server.stop()
        } catch {
            await server.stop()
            throw error
        }
    }

    private func checkTLS(port tlsPort: Int, cert: String, key: String) async throws {

        // CERT_REQUIRED with the CA: chain and host name check out, by name or with the name set explicitly.
        let verified = try await connect(tlsPort, host: "localhost") { $0.tls = .verifyFull(caCertificatePath: cert) }
        #expect(try await verified.send(RESPCommand("PING")) == .simpleString("PONG"))
        await verified.close()
        let named = try await connect(tlsPort) { $0.tls = .enabled(caCertificatePath: cert, serverName: "localhost") }
        #expect(try await named.send(RESPCommand("PING")) == .simpleString("PONG"))
        await named.close()
        // CERT_REQUIRED with the system roots: the self-signed certificate is refused, clearly.
        let untrusted = await #expect(throws: RESPError.self) { try await connect(tlsPort) { $0.tls = .verifyFull() } }
        #expect(untrusted?.code == .connectionFailed && untrusted?.underlying != nil)
        // A host the certificate doesn't name (127.0.0.1) is refused under full verification (CERT_REQUIRED),
        // accepted without host name checks (CERT_OPTIONAL).
        let wrongName = await #expect(throws: RESPError.self) { try await connect(tlsPort) { $0.tls = .verifyFull(caCertificatePath: cert) } }
        #expect(wrongName?.code == .connectionFailed)
        let optional = try await connect(tlsPort) { $0.tls = .enabled(verification: .noHostnameVerification, caCertificatePath: cert) }
        #expect(try await optional.send(RESPCommand("PING")) == .simpleString("PONG"))
        await optional.close()
        // CERT_NONE accepts anything; a client certificate is sent when configured.
        let none = try await connect(tlsPort) { $0.tls = .enabled(verification: .none, certificatePath: cert, privateKeyPath: key) }
        #expect(try await none.send(RESPCommand("PING")) == .simpleString("PONG"))
        await none.close()
        // rediss:// with Celery's options, through the client.
        let url = "rediss://localhost:\(tlsPort)/0?ssl_cert_reqs=CERT_REQUIRED&ssl_ca_certs=\(cert)"
        let client = RESPClient(configuration: try .init(url: url), logger: Self.logger)
        #expect(try await client.send("PING") == .simpleString("PONG"))
        await client.close()
        // A plain client talking to the TLS port fails instead of hanging.
        let plain = await #expect(throws: RESPError.self) { try await connect(tlsPort) { $0.connectTimeout = .seconds(2) } }
        #expect(plain != nil)
        // An unreadable CA file is a configuration error.
        let missing = await #expect(throws: RESPError.self) {
            try await connect(tlsPort) { $0.tls = .verifyFull(caCertificatePath: "/nonexistent/ca.pem") }
        }
        #expect(missing?.code == .tlsConfiguration)
    }

    /// Without a TLS-capable server: a TLS client against a plain server fails to connect, with a clear error.
    private func tlsFailsAgainstAPlainServer() async throws {
        try await withRedisServer { server in
            let error = await #expect(throws: RESPError.self) {
                try await connect(server.port) { $0.tls = .enabled(verification: .none) }
            }
            #expect(error?.code == .connectionFailed)
        }
    }
}
