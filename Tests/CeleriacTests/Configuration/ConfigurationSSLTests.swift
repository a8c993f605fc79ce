import Testing

@testable import Celeriac

@Suite("TLS settings: broker_use_ssl and redis_backend_use_ssl")
struct ConfigurationSSLTests {
    @Test func unsetMeansNoTLSSetting() throws {
        let config = try CeleriacConfiguration(environment: [:])
        #expect(config.brokerUseSSL == nil && config.redisBackendUseSSL == nil)
    }

    @Test func booleansTurnTLSOnWithDefaultsOrOff() throws {
        let on = try CeleriacConfiguration(environment: ["CELERY_BROKER_USE_SSL": "true", "CELERY_REDIS_BACKEND_USE_SSL": "yes"])
        #expect(on.brokerUseSSL == [:] && on.redisBackendUseSSL == [:])
        let off = try CeleriacConfiguration(environment: ["CELERY_BROKER_USE_SSL": "false", "CELERY_REDIS_BACKEND_USE_SSL": "none"])
        #expect(off.brokerUseSSL == nil && off.redisBackendUseSSL == nil)
    }

    @Test func objectsKeepCelerysKeys() throws {
        let config = try CeleriacConfiguration(environment: [
            "CELERY_BROKER_USE_SSL": #"{"ssl_cert_reqs": "CERT_REQUIRED", "ssl_ca_certs": "/etc/ca.pem"}"#,
        ])
        #expect(config.brokerUseSSL == ["ssl_cert_reqs": "CERT_REQUIRED", "ssl_ca_certs": "/etc/ca.pem"])
        #expect(config.redactedSettings["broker_use_ssl"] == .object(["ssl_cert_reqs": "CERT_REQUIRED", "ssl_ca_certs": "/etc/ca.pem"]))
    }

    @Test func anythingElseIsAClearError() {
        let error = #expect(throws: CeleriacError.self) { try CeleriacConfiguration(environment: ["CELERY_BROKER_USE_SSL": "[1, 2]"]) }
        #expect(error?.message.contains("CELERY_BROKER_USE_SSL") == true, "\(String(describing: error))")
    }
}
