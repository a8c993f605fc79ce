import Foundation
import Testing

@testable import Celeriac

@Suite("Configuration validation")
struct ConfigurationValidationTests {
    /// Validates a configuration changed by `change` and returns the error message, or `nil` when valid.
    private func problems(_ change: (inout CeleriacConfiguration) -> Void) -> String? {
        var config = CeleriacConfiguration()
        change(&config)
        do {
            try config.validate()
            return nil
        } catch {
            #expect(error.code == .invalidConfiguration)
            return error.message
        }
    }

    @Test(arguments: [
        "sqlite:///x.db", "redis://h", "rediss://h", "sentinel://h1;sentinel://h2", "amqp://h//", "amqps://h",
        "pyamqp://h", "memory://",
    ])
    func brokerSchemesAccepted(url: String) {
        #expect(problems { $0.brokerURL = url; $0.resultBackend = "redis://h" } == nil)
    }

    @Test(arguments: ["rpc://", "django-db", "db+postgresql://h/db"])
    func brokerSchemesRejected(url: String) {
        let message = problems { $0.brokerURL = url }
        #expect(message?.contains("cannot be used for broker_url") == true)
        #expect(message?.contains("amqp://") == true)
    }

    @Test(arguments: ["sqlite:///x.db", "redis://h", "rediss://h", "sentinel://h", "rpc://", "db+postgresql+psycopg://h/db", "django-db", "memory://"])
    func backendSchemesAccepted(url: String) {
        #expect(problems { $0.resultBackend = url } == nil)
    }

    @Test(arguments: ["amqp://h//", "amqps://h", "pyamqp://h"])
    func backendSchemesRejected(url: String) {
        #expect(problems { $0.resultBackend = url }?.contains("cannot be used for result_backend") == true)
    }

    @Test func badURLIsReportedRedacted() {
        let message = problems { $0.brokerURL = "redis://:topsecret@h:99999/0" }
        #expect(message?.hasPrefix("broker_url: Bad port") == true)
        #expect(message?.contains("topsecret") == false)
    }

    @Test func resultBackendDefaultFollowsBroker() throws {
        var config = CeleriacConfiguration()
        config.brokerURL = "sqlite:////var/data/app.db"
        #expect(config.effectiveResultBackend == "sqlite:////var/data/app.db")
        #expect(try config.resultBackendServiceURL()?.sqlitePath == "/var/data/app.db")
        config.brokerURL = "redis://h/0"
        #expect(config.effectiveResultBackend == nil)
        #expect(try config.resultBackendServiceURL() == nil)
        #expect(try config.brokerServiceURL().host == "h")
    }

    @Test func numericRanges() {
        #expect(problems { $0.workerConcurrency = 0 }?.contains("worker_concurrency must be at least 1") == true)
        #expect(problems { $0.workerConcurrency = 1 } == nil)
        #expect(problems { $0.workerPrefetchMultiplier = -1 }?.contains("worker_prefetch_multiplier must be 0 or more") == true)
        #expect(problems { $0.workerPrefetchMultiplier = 0 } == nil)
        #expect(problems { $0.taskDefaultPriority = 10 }?.contains("task_default_priority must be from 0 to 9") == true)
        #expect(problems { $0.taskDefaultPriority = 0 } == nil)
        #expect(problems { $0.taskRoutes = ["t": TaskRoute(queue: "q", priority: -1)] }?.contains("priority for \"t\"") == true)
        #expect(problems { $0.workerEtaLimit = 0 }?.contains("worker_eta_task_limit") == true)
        #expect(problems { $0.taskTimeLimit = 0 }?.contains("task_time_limit must be a positive number") == true)
        #expect(problems { $0.brokerTransportOptions.visibilityTimeout = -5 }?.contains("visibility_timeout") == true)
        #expect(problems { $0.maxMessageSize = 0 }?.contains("celeriac_max_message_size") == true)
        #expect(problems { $0.resultExpires = -1 }?.contains("result_expires") == true)
        #expect(problems { $0.resultExpires = 0 } == nil)
    }

    @Test func timezoneMustBeKnown() {
        #expect(problems { $0.timezone = "America/New_York" } == nil)
        #expect(problems { $0.timezone = "Mars/Olympus" }?.contains("timezone \"Mars/Olympus\" is not a known time zone") == true)
    }

    @Test func rateLimitAndSerializers() {
        #expect(problems { $0.taskDefaultRateLimit = "10/m" } == nil)
        #expect(problems { $0.taskDefaultRateLimit = "fast" }?.contains("task_default_rate_limit: Invalid rate limit string: \"fast\"") == true)
        #expect(problems { $0.taskSerializer = "pickle" }?.contains("task_serializer: Celeriac speaks JSON only") == true)
        #expect(problems { $0.resultSerializer = "yaml" }?.contains("result_serializer") == true)
        #expect(problems { $0.acceptContent = ["pickle"] }?.contains("accept_content") == true)
        #expect(problems { $0.acceptContent = ["pickle", "application/json"] } == nil)
    }

    @Test func everyProblemIsListed() {
        let message = problems {
            $0.workerConcurrency = -1
            $0.timezone = "Nowhere/Land"
            $0.taskDefaultPriority = 42
        }
        #expect(message?.components(separatedBy: "; ").count == 3)
    }

    @Test func defaultRateLimitHelper() throws {
        var config = CeleriacConfiguration()
        #expect(try config.defaultRateLimit() == nil)
        config.taskDefaultRateLimit = "60/m"
        #expect(try config.defaultRateLimit()?.tokensPerSecond == 1)
    }
}
