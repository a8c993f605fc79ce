import Foundation
import Testing

@testable import Celeriac

/// Writes `text` to a fresh temporary file and returns its path.
private func temporaryConfigFile(_ text: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("celeriac-config-\(UUID().uuidString).json").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

@Suite("Configuration from a JSON file, precedence")
struct ConfigurationFileTests {
    @Test func readsCeleryNames() throws {
        let path = try temporaryConfigFile(
            #"""
            {
              "broker_url": "amqp://guest:guest@rabbit:5672//",
              "result_backend": "rpc://",
              "task_acks_late": true,
              "worker_concurrency": 3,
              "worker_prefetch_multiplier": "2",
              "task_default_priority": null,
              "accept_content": ["json"],
              "task_routes": {"tasks.*": {"queue": "math", "priority": 2}, "tasks.add": "adders"},
              "broker_transport_options": {"visibility_timeout": 600, "master_name": "mymaster"},
              "task_publish_retry_policy": {"max_retries": 10, "interval_start": 1},
              "result_expires": 120,
              "task_time_limit": 30.5,
              "task_default_rate_limit": 10,
              "celeriac_dead_letter": "keep",
              "worker_pool": "prefork",
              "beat_max_loop_interval": 5
            }
            """#
        )
        defer { try? FileManager.default.removeItem(atPath: path) }
        let config = try CeleriacConfiguration(contentsOfFile: path)
        #expect(config.brokerURL == "amqp://guest:guest@rabbit:5672//")
        #expect(config.resultBackend == "rpc://")
        #expect(config.taskAcksLate)
        #expect(config.workerConcurrency == 3 && config.workerPrefetchMultiplier == 2)
        #expect(config.route(for: "tasks.add")?.queue == "adders")
        #expect(config.route(for: "tasks.mul") == TaskRoute(queue: "math", priority: 2))
        #expect(config.brokerTransportOptions.visibilityTimeout == 600)
        #expect(config.brokerTransportOptions.masterName == "mymaster")
        #expect(config.taskPublishRetryPolicy == PublishRetryPolicy(maxRetries: 10, intervalStart: 1, intervalStep: 0.2, intervalMax: 1))
        #expect(config.resultExpires == 120 && config.taskTimeLimit == 30.5)
        #expect(config.taskDefaultRateLimit == "10")
        #expect(config.unrecognizedKeys == ["worker_pool", "beat_max_loop_interval"])
        try config.validate()
    }

    @Test func typoKeyIsAnErrorWithSuggestion() throws {
        let path = try temporaryConfigFile(#"{"broker_url": "redis://h", "task_ack_late": true}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = expectConfigError(.invalidConfiguration) { _ = try CeleriacConfiguration(contentsOfFile: path) }
        #expect(error?.message.contains("Unknown setting \"task_ack_late\" in \(path)") == true)
        #expect(error?.message.contains("did you mean \"task_acks_late\"?") == true)
    }

    @Test func suggestions() {
        #expect(CeleriacConfiguration.suggestion(for: "worker_concurency").contains("\"worker_concurrency\""))
        #expect(CeleriacConfiguration.suggestion(for: "BROKER_URL").contains("\"broker_url\""))
        #expect(CeleriacConfiguration.suggestion(for: "CELERY_TASK_ACKS_LATE").contains("\"task_acks_late\""))
        #expect(CeleriacConfiguration.suggestion(for: "broker_pool_limt").contains("\"broker_pool_limit\""))
        #expect(CeleriacConfiguration.suggestion(for: "zzzzzzzzzzzzzz") == "")
    }

    @Test func wrongTypeInFileNamesKeyAndFile() throws {
        let path = try temporaryConfigFile(#"{"task_acks_late": "perhaps"}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = expectConfigError(.invalidConfiguration) { _ = try CeleriacConfiguration(contentsOfFile: path) }
        #expect(error?.message == "task_acks_late (in \(path)) must be a boolean (true/false, yes/no, on/off or 1/0), got \"perhaps\"")
        let number = expectConfigError(.invalidConfiguration) { _ = try CeleriacConfiguration(settings: ["worker_concurrency": 2.5]) }
        #expect(number?.message.hasPrefix("worker_concurrency (in settings) must be a positive integer") == true)
        #expect(number?.message.hasSuffix("got 2.5") == true)
        let url = expectConfigError(.invalidConfiguration) { _ = try CeleriacConfiguration(settings: ["broker_url": 5]) }
        #expect(url?.message == "broker_url (in settings) must be a string, got 5")
        let list = expectConfigError(.invalidConfiguration) { _ = try CeleriacConfiguration(settings: ["accept_content": .object([:])]) }
        #expect(list?.message.contains("must be a list of strings") == true)
    }

    @Test func unreadableAndMalformedFiles() throws {
        let missing = expectConfigError(.invalidConfiguration) { _ = try CeleriacConfiguration(contentsOfFile: "/nonexistent/celeriac.json") }
        #expect(missing?.message.contains("Cannot read the configuration file /nonexistent/celeriac.json") == true)
        let badPath = try temporaryConfigFile("{\"broker_url\": ")
        defer { try? FileManager.default.removeItem(atPath: badPath) }
        let bad = expectConfigError(.invalidConfiguration) { _ = try CeleriacConfiguration(contentsOfFile: badPath) }
        #expect(bad?.message.contains("is not valid JSON") == true)
        let arrayPath = try temporaryConfigFile("[1, 2]")
        defer { try? FileManager.default.removeItem(atPath: arrayPath) }
        let array = expectConfigError(.invalidConfiguration) { _ = try CeleriacConfiguration(contentsOfFile: arrayPath) }
        #expect(array?.message.contains("must hold a JSON object") == true)
    }

    @Test func precedenceDefaultsFileEnvironmentOverrides() throws {
        let path = try temporaryConfigFile(
            #"{"broker_url": "redis://file", "task_default_queue": "file-queue", "worker_prefetch_multiplier": 2, "timezone": "Europe/Paris"}"#
        )
        defer { try? FileManager.default.removeItem(atPath: path) }
        let env = ["CELERY_BROKER_URL": "redis://env", "CELERY_WORKER_PREFETCH_MULTIPLIER": "3", "CELERY_TASK_ACKS_LATE": "true"]
        let config = try CeleriacConfiguration.resolve(file: path, environment: env) { config in
            config.workerPrefetchMultiplier = 5
        }
        #expect(config.brokerURL == "redis://env")  // environment beats file
        #expect(config.taskDefaultQueue == "file-queue")  // file beats defaults
        #expect(config.timezone == "Europe/Paris")
        #expect(config.workerPrefetchMultiplier == 5)  // overrides beat everything
        #expect(config.taskAcksLate)
        #expect(config.resultExpires == 86400)  // untouched default

        let noFile = try CeleriacConfiguration.resolve(environment: [:])
        #expect(noFile == CeleriacConfiguration())
    }

    @Test func resolveValidatesTheResult() {
        let error = expectConfigError(.invalidConfiguration) {
            _ = try CeleriacConfiguration.resolve(environment: ["CELERY_BROKER_URL": "rpc://"])
        }
        #expect(error?.message.contains("broker_url \"rpc://\" uses rpc") == true)
        let fixedByOverride = try? CeleriacConfiguration.resolve(environment: ["CELERY_TIMEZONE": "Mars/Olympus"]) { $0.timezone = "UTC" }
        #expect(fixedByOverride?.timezone == "UTC")
    }

    @Test func redactedDescriptionNeverShowsPasswords() throws {
        var config = CeleriacConfiguration()
        config.brokerURL = "amqp://user:topsecret@rabbit//"
        config.resultBackend = "redis://:topsecret@cache/1"
        config.brokerTransportOptions.other = ["sentinel_kwargs": .object(["password": "topsecret"])]
        #expect(!config.description.contains("topsecret"))
        #expect(!String(reflecting: config).contains("topsecret"))
        var dumped = ""
        dump(config, to: &dumped)
        #expect(!dumped.contains("topsecret"))
        let settings = config.redactedSettings
        #expect(settings["broker_url"] == "amqp://user:***@rabbit//")
        #expect(settings["result_backend"] == "redis://:***@cache/1")
        #expect(settings["broker_transport_options"]?.objectValue?["sentinel_kwargs"] == .object(["password": "***"]))
        #expect(settings.keys.allSatisfy { CeleriacConfiguration.settingNames.contains($0) })
    }
}
