import NIOSSL

extension AMQPConfiguration {
    /// TLS settings for `amqps://` connections, shaped after Celery's `ssl_cert_reqs`, `ssl_ca_certs`,
    /// `ssl_certfile` and `ssl_keyfile` options.
    ///
    /// ```swift
    /// configuration.tls = .verifyFull(caCertificatePath: "/etc/rabbitmq/ca.pem")              // CERT_REQUIRED
    /// configuration.tls = .enabled(verification: .noHostnameVerification)                  // CERT_OPTIONAL
    /// configuration.tls = .enabled(verification: .none)                                    // CERT_NONE
    /// configuration.tls = try .init(celeryOptions: ["ssl_cert_reqs": "CERT_REQUIRED", "ssl_ca_certs": path])
    /// ```
    public struct TLS: Hashable, Sendable {
        /// How the server's certificate is checked.
        public struct Verification: Hashable, Sendable, CustomStringConvertible {
            enum Base: String, Hashable, Sendable {
                case full
                case noHostname
                case none
            }

            let base: Base

            /// Check the certificate chain and that it names the host (Celery's `CERT_REQUIRED`).
            public static let full = Verification(base: .full)
            /// Check the certificate chain but not the host name (Celery's `CERT_OPTIONAL`).
            public static let noHostnameVerification = Verification(base: .noHostname)
            /// Accept any certificate (Celery's `CERT_NONE`); encrypts but doesn't authenticate the server.
            public static let none = Verification(base: .none)

            /// `full`, `noHostname` or `none`.
            public var description: String { self.base.rawValue }
        }

        /// Whether connections use TLS.
        public var isEnabled: Bool
        /// How the server's certificate is checked. Default ``Verification/full``.
        public var verification: Verification = .full
        /// A PEM file of trusted CA certificates (`ssl_ca_certs`); `nil` trusts the system's roots.
        public var caCertificatePath: String?
        /// A PEM client certificate chain (`ssl_certfile`), for servers that require client certificates.
        public var certificatePath: String?
        /// The PEM private key of ``certificatePath`` (`ssl_keyfile`).
        public var privateKeyPath: String?
        /// The name to send in SNI and check the certificate against; `nil` uses the host connected to.
        public var serverName: String?

        /// No TLS.
        public static let disabled = TLS(isEnabled: false)

        /// TLS that checks the chain and the host name.
        /// - Parameter caCertificatePath: A PEM file of trusted CA certificates; `nil` trusts the system's roots.
        public static func verifyFull(caCertificatePath: String? = nil) -> TLS {
            .enabled(verification: .full, caCertificatePath: caCertificatePath)
        }

        /// TLS with the given settings.
        /// - Parameters:
        ///   - verification: How the server's certificate is checked.
        ///   - caCertificatePath: A PEM file of trusted CA certificates; `nil` trusts the system's roots.
        ///   - certificatePath: A PEM client certificate chain, if the server requires one.
        ///   - privateKeyPath: The client certificate's PEM private key.
        ///   - serverName: The name to check the certificate against, if not the host connected to.
        public static func enabled(
            verification: Verification = .full,
            caCertificatePath: String? = nil,
            certificatePath: String? = nil,
            privateKeyPath: String? = nil,
            serverName: String? = nil
        ) -> TLS {
            var tls = TLS(isEnabled: true)
            tls.verification = verification
            tls.caCertificatePath = caCertificatePath
            tls.certificatePath = certificatePath
            tls.privateKeyPath = privateKeyPath
            tls.serverName = serverName
            return tls
        }

        private init(isEnabled: Bool) {
            self.isEnabled = isEnabled
        }

        /// TLS from Celery's `broker_use_ssl` keys or `amqps://` query items:
        /// `ssl_cert_reqs` (`CERT_REQUIRED`/`required`, `CERT_OPTIONAL`/`optional`, `CERT_NONE`/`none`; default
        /// required), `ssl_ca_certs`, `ssl_certfile`, `ssl_keyfile`, and `ssl_check_hostname` (`false` turns
        /// host name checks off).
        /// - Parameter celeryOptions: The option names and values.
        /// - Throws: ``AMQPError`` with code ``AMQPError/Code/invalidConfiguration`` for an unknown `ssl_cert_reqs`.
        public init(celeryOptions: [String: String]) throws {
            self = .enabled()
            switch celeryOptions["ssl_cert_reqs"]?.lowercased() {
            case nil, "required", "cert_required", "ssl.cert_required": self.verification = .full
            case "optional", "cert_optional", "ssl.cert_optional": self.verification = .noHostnameVerification
            case "none", "cert_none", "ssl.cert_none": self.verification = .none
            case .some:
                throw AMQPError(.invalidConfiguration, message: "ssl_cert_reqs must be required, optional or none")
            }
            if let check = celeryOptions["ssl_check_hostname"]?.lowercased(), ["false", "0", "no"].contains(check),
                self.verification == .full
            {
                self.verification = .noHostnameVerification
            }
            self.caCertificatePath = celeryOptions["ssl_ca_certs"].flatMap { $0.isEmpty ? nil : $0 }
            self.certificatePath = celeryOptions["ssl_certfile"].flatMap { $0.isEmpty ? nil : $0 }
            self.privateKeyPath = celeryOptions["ssl_keyfile"].flatMap { $0.isEmpty ? nil : $0 }
        }

        /// Builds the TLS context, reading the CA, certificate and key files.
        /// - Returns: The context, or `nil` when TLS is disabled.
        /// - Throws: ``AMQPError`` with code ``AMQPError/Code/tlsConfiguration`` when a file can't be used.
        func makeContext() throws(AMQPError) -> NIOSSLContext? {
            guard self.isEnabled else { return nil }
            var configuration = TLSConfiguration.makeClientConfiguration()
            switch self.verification.base {
            case .full: configuration.certificateVerification = .fullVerification
            case .noHostname: configuration.certificateVerification = .noHostnameVerification
            case .none: configuration.certificateVerification = .none
            }
            do {
                if let caCertificatePath {
                    configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caCertificatePath))
                }
                if let certificatePath {
                    configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { .certificate($0) }
                }
                if let privateKeyPath {
                    configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: privateKeyPath, format: .pem))
                }
                return try NIOSSLContext(configuration: configuration)
            } catch {
                throw AMQPError(.tlsConfiguration, message: "could not load the TLS CA, certificate or key", underlying: error)
            }
        }
    }
}
