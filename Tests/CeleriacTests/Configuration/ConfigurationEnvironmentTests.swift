import Testing

@testable import Celeriac

@Suite("Configuration from environment variables")
struct ConfigurationEnvironmentTests {
    @Test func defaultsMatchCelery() throws {
        let config = try CeleriacConfiguration(environment: [:])
        #expect(config == CeleriacConfiguration())
        #expect(config.brokerURL == nil)
        #expect(config.effectiveBrokerURL == "sqlite:///celeriac.sqlite")
        #expect(config.effectiveResultBackend == "sqlite:///celeriac.sqlite")
        #expect(config.timezone == "UTC" && config.enableUTC)
        #expect(config.taskSerializer == "json" && config.resultSerializer == "json" && config.acceptContent == ["json"])
        #expect(!config.taskAcksLate && !config.taskRejectOnWorkerLost && !config.taskTrackStarted && !config.taskIgnoreResult)
        #expect(config.taskDefaultQueue == "celery")
        #expect(config.taskDefaultPriority == nil)
        #expect(config.resultExpires == 86400)
        #expect(config.workerConcurrency == nil && config.workerPrefetchMultiplier == 4 && config.workerEtaLimit == 1000)
        #expect(config.brokerTransportOptions.visibilityTimeout == 3600)
        #expect(config.brokerConnectionTimeout == 4 && config.brokerConnectionRetry && config.brokerConnectionMaxRetries == 100)
        #expect(config.taskPublishRetry)
        #expect(config.taskPublishRetryPolicy == PublishRetryPolicy(maxRetries: 3, intervalStart: 0, intervalStep: 0.2, intervalMax: 1))
        #expect(!config.taskSendSentEvent && !config.workerSendTaskEvents)
        #expect(config.deadLetterEnabled && config.maxMessageSize == 16 * 1024 * 1024)
        #expect(config.unrecognizedKeys.isEmpty)
        try config.validate()
    }

    @Test func readsEveryVariable() throws {
        let env = [
            "CELERY_BROKER_URL": "redis://:pw@redis:6379/1",
            "CELERY_RESULT_BACKEND": "db+postgresql://u:pw@pg/results",
            "CELERY_TIMEZONE": "Europe/Paris",
            "CELERY_ENABLE_UTC": "False",
            "CELERY_TASK_SERIALIZER": "json",
            "CELERY_RESULT_SERIALIZER": "JSON",
            "CELERY_ACCEPT_CONTENT": "json, application/json",
            "CELERY_TASK_ACKS_LATE": "yes",
            "CELERY_TASK_REJECT_ON_WORKER_LOST": "On",
            "CELERY_TASK_TRACK_STARTED": "1",
            "CELERY_TASK_IGNORE_RESULT": "TRUE",
            "CELERY_WORKER_CONCURRENCY": "8",
            "CELERY_WORKER_PREFETCH_MULTIPLIER": "1",
            "CELERY_WORKER_ETA_TASK_LIMIT": "50",
            "CELERY_TASK_DEFAULT_QUEUE": "default",
            "CELERY_TASK_DEFAULT_PRIORITY": "5",
            "CELERY_RESULT_EXPIRES": "3600.5",
            "CELERY_RESULT_EXTENDED": "true",
            "CELERY_TASK_ROUTES": #"{"tasks.add": {"queue": "math"}, "img.*": "media"}"#,
            "CELERY_BROKER_TRANSPORT_OPTIONS": #"{"visibility_timeout": 600, "global_keyprefix": "app:", "queue_order_strategy": "priority"}"#,
            "CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS": #"{"retry_policy": {"timeout": 5}}"#,
            "CELERY_TASK_TIME_LIMIT": "60",
            "CELERY_TASK_SOFT_TIME_LIMIT": "50.5",
            "CELERY_TASK_DEFAULT_RATE_LIMIT": "100/m",
            "CELERY_BROKER_CONNECTION_TIMEOUT": "2.5",
            "CELERY_BROKER_CONNECTION_RETRY": "off",
            "CELERY_BROKER_CONNECTION_MAX_RETRIES": "7",
            "CELERY_TASK_PUBLISH_RETRY": "no",
            "CELERY_TASK_PUBLISH_RETRY_POLICY": #"{"max_retries": 5, "interval_max": 2}"#,
            "CELERY_TASK_SEND_SENT_EVENT": "1",
            "CELERY_WORKER_SEND_TASK_EVENTS": "true",
            "CELERIAC_DEAD_LETTER": "discard",
            "CELERIAC_MAX_MESSAGE_SIZE": "1024",
            "CELERIAC_WORKER_HOSTNAME": "w1@host",
        ]
        let config = try CeleriacConfiguration(environment: env)
        #expect(config.brokerURL == "redis://:pw@redis:6379/1")
        #expect(config.resultBackend == "db+postgresql://u:pw@pg/results")
        #expect(config.timezone == "Europe/Paris" && !config.enableUTC)
        #expect(config.resultSerializer == "json")
        #expect(config.acceptContent == ["json", "application/json"])
        #expect(config.taskAcksLate && config.taskRejectOnWorkerLost && config.taskTrackStarted && config.taskIgnoreResult)
        #expect(config.workerConcurrency == 8 && config.workerPrefetchMultiplier == 1 && config.workerEtaLimit == 50)
        #expect(config.taskDefaultQueue == "default" && config.taskDefaultPriority == 5)
        #expect(config.resultExpires == 3600.5 && config.resultExtended)
        #expect(config.route(for: "tasks.add")?.queue == "math")
        #expect(config.route(for: "img.resize")?.queue == "media")
        #expect(config.brokerTransportOptions.visibilityTimeout == 600)
        #expect(config.brokerTransportOptions.globalKeyprefix == "app:")
        #expect(config.brokerTransportOptions.other == ["queue_order_strategy": "priority"])
        #expect(config.resultBackendTransportOptions["retry_policy"] == .object(["timeout": 5]))
        #expect(config.taskTimeLimit == 60 && config.taskSoftTimeLimit == 50.5)
        #expect(config.taskDefaultRateLimit == "100/m")
        #expect(config.brokerConnectionTimeout == 2.5 && !config.brokerConnectionRetry && config.brokerConnectionMaxRetries == 7)
        #expect(!config.taskPublishRetry)
        #expect(config.taskPublishRetryPolicy == PublishRetryPolicy(maxRetries: 5, intervalStart: 0, intervalStep: 0.2, intervalMax: 2))
        #expect(config.taskSendSentEvent && config.workerSendTaskEvents)
        #expect(!config.deadLetterEnabled && config.maxMessageSize == 1024 && config.workerHostname == "w1@host")
        #expect(config.unrecognizedKeys.isEmpty)
        try config.validate()
    }

    @Test(arguments: ["true", "True", "TRUE", "1", "yes", "Yes", "on", "ON", " true "])
    func trueSpellings(text: String) throws {
        #expect(try CeleriacConfiguration(environment: ["CELERY_TASK_ACKS_LATE": text]).taskAcksLate)
    }

    @Test(arguments: ["false", "False", "0", "no", "NO", "off", "Off"])
    func falseSpellings(text: String) throws {
        let base = { var c = CeleriacConfiguration(); c.taskAcksLate = true; return c }()
        #expect(try !CeleriacConfiguration(environment: ["CELERY_TASK_ACKS_LATE": text], base: base).taskAcksLate)
    }

    @Test(arguments: [
        ("CELERY_TASK_ACKS_LATE", "maybe", "a boolean"),
        ("CELERY_ENABLE_UTC", "2", "a boolean"),
        ("CELERY_TASK_TRACK_STARTED", "", "a boolean"),
        ("CELERY_RESULT_EXTENDED", "y", "a boolean"),
        ("CELERY_WORKER_SEND_TASK_EVENTS", "enabled", "a boolean"),
        ("CELERY_WORKER_CONCURRENCY", "four", "a positive integer"),
        ("CELERY_WORKER_CONCURRENCY", "-2", "a positive integer"),
        ("CELERY_WORKER_PREFETCH_MULTIPLIER", "1.5", "an integer"),
        ("CELERY_WORKER_ETA_TASK_LIMIT", "lots", "an integer"),
        ("CELERY_TASK_DEFAULT_PRIORITY", "high", "an integer"),
        ("CELERY_TASK_DEFAULT_PRIORITY", "12", "a priority from 0 to 9"),
        ("CELERY_RESULT_EXPIRES", "1 day", "a number"),
        ("CELERY_TASK_TIME_LIMIT", "10s", "a number"),
        ("CELERY_TASK_SOFT_TIME_LIMIT", "inf", "a number"),
        ("CELERY_BROKER_CONNECTION_TIMEOUT", "soon", "a number"),
        ("CELERY_BROKER_CONNECTION_MAX_RETRIES", "many", "an integer"),
        ("CELERY_TASK_ROUTES", "[1, 2]", "a JSON object"),
        ("CELERY_TASK_ROUTES", "{not json", "a JSON object"),
        ("CELERY_TASK_PUBLISH_RETRY_POLICY", "3", "a JSON object"),
        ("CELERY_ACCEPT_CONTENT", "[1]", "a list of strings"),
        ("CELERIAC_DEAD_LETTER", "maybe", "\"keep\" or \"discard\""),
        ("CELERIAC_MAX_MESSAGE_SIZE", "16MB", "an integer"),
        ("CELERY_TASK_DEFAULT_QUEUE", " ", "a non-empty string"),
    ])
    func typeErrorsNameVariableTypeAndValue(name: String, value: String, expected: String) {
        let error = expectConfigError(.invalidConfiguration) { _ = try CeleriacConfiguration(environment: [name: value]) }
        let message = error?.message ?? ""
        #expect(message.hasPrefix("\(name) must be \(expected)"), "\(message)")
        #expect(message.contains("got \"\(value)\""), "\(message)")
    }

    @Test func transportOptionsErrorsHideTheValue() {
        let error = expectConfigError(.invalidConfiguration) {
            _ = try CeleriacConfiguration(environment: ["CELERY_BROKER_TRANSPORT_OPTIONS": #"{"sentinel_kwargs": {"password": "topsecret"}"#])
        }
        #expect(error?.message.contains("CELERY_BROKER_TRANSPORT_OPTIONS must be a JSON object") == true)
        #expect(error?.message.contains("topsecret") == false)
        let badField = expectConfigError(.invalidConfiguration) {
            _ = try CeleriacConfiguration(environment: ["CELERY_BROKER_TRANSPORT_OPTIONS": #"{"visibility_timeout": "long"}"#])
        }
        #expect(badField?.message.contains("CELERY_BROKER_TRANSPORT_OPTIONS: visibility_timeout must be a number") == true)
    }

    @Test func badBrokerURLNamesVariableAndRedactsPassword() {
        let error = expectConfigError(.invalidConfiguration) {
            _ = try CeleriacConfiguration(environment: ["CELERY_BROKER_URL": "redis://:topsecret@h:port/0"])
        }
        #expect(error?.message.hasPrefix("CELERY_BROKER_URL: Bad port \"port\"") == true)
        #expect(error?.message.contains("redis://:***@h:port/0") == true)
        #expect(error?.description.contains("topsecret") == false)
        let scheme = expectConfigError(.invalidConfiguration) {
            _ = try CeleriacConfiguration(environment: ["CELERY_RESULT_BACKEND": "mongodb://u:topsecret@h/db"])
        }
        #expect(scheme?.message.hasPrefix("CELERY_RESULT_BACKEND: Unsupported URL scheme") == true)
        #expect(scheme?.message.contains("topsecret") == false)
    }

    @Test func badRateLimitAndSerializer() {
        let rate = expectConfigError(.invalidConfiguration) { _ = try CeleriacConfiguration(environment: ["CELERY_TASK_DEFAULT_RATE_LIMIT": "10/d"]) }
        #expect(rate?.message.hasPrefix("CELERY_TASK_DEFAULT_RATE_LIMIT: Invalid rate limit string: \"10/d\"") == true)
        let serializer = expectConfigError(.invalidConfiguration) { _ = try CeleriacConfiguration(environment: ["CELERY_TASK_SERIALIZER": "pickle"]) }
        #expect(serializer?.message.contains("CELERY_TASK_SERIALIZER: Celeriac speaks JSON only") == true)
        #expect(serializer?.message.contains("\"pickle\"") == true)
        let accept = expectConfigError(.invalidConfiguration) { _ = try CeleriacConfiguration(environment: ["CELERY_ACCEPT_CONTENT": "pickle,yaml"]) }
        #expect(accept?.message.contains("CELERY_ACCEPT_CONTENT: Celeriac speaks JSON only") == true)
        let acceptJSONList = expectConfigError(.invalidConfiguration) { _ = try CeleriacConfiguration(environment: ["CELERY_ACCEPT_CONTENT": #"["msgpack"]"#]) }
        #expect(acceptJSONList != nil)
    }

    @Test func acceptContentForms() throws {
        #expect(try CeleriacConfiguration(environment: ["CELERY_ACCEPT_CONTENT": #"["json", "pickle"]"#]).acceptContent == ["json", "pickle"])
        #expect(try CeleriacConfiguration(environment: ["CELERY_ACCEPT_CONTENT": "application/json"]).acceptContent == ["application/json"])
    }

    @Test func noneValuesAndZeroMeaningsFollowCelery() throws {
        let base = {
            var c = CeleriacConfiguration()
            c.taskTimeLimit = 5
            c.taskDefaultPriority = 3
            c.workerConcurrency = 2
            return c
        }()
        let config = try CeleriacConfiguration(
            environment: [
                "CELERY_TASK_TIME_LIMIT": "None", "CELERY_TASK_DEFAULT_PRIORITY": "", "CELERY_RESULT_EXPIRES": "0",
                "CELERY_WORKER_CONCURRENCY": "auto", "CELERY_BROKER_CONNECTION_MAX_RETRIES": "0", "CELERY_BROKER_URL": "",
            ],
            base: base
        )
        #expect(config.taskTimeLimit == nil)
        #expect(config.taskDefaultPriority == nil)
        #expect(config.resultExpires == nil)
        #expect(config.workerConcurrency == nil)
        #expect(config.brokerConnectionMaxRetries == nil)
        #expect(config.brokerURL == nil)
        #expect(try CeleriacConfiguration(environment: ["CELERY_WORKER_CONCURRENCY": "0"]).workerConcurrency == nil)
        #expect(try CeleriacConfiguration(environment: ["CELERY_TASK_PUBLISH_RETRY_POLICY": #"{"max_retries": null}"#]).taskPublishRetryPolicy.maxRetries == .max)
    }

    @Test func unknownCeleryVariablesAreListedNotRejected() throws {
        let config = try CeleriacConfiguration(environment: [
            "CELERY_WORKER_POOL": "prefork", "CELERY_TASK_ACK_LATE": "true", "CELERY_BROKER_URL": "redis://h",
            "DJANGO_SETTINGS_MODULE": "app.settings", "PATH": "/usr/bin", "CELERIAC_SOMETHING": "x",
        ])
        #expect(config.unrecognizedKeys == ["CELERY_TASK_ACK_LATE", "CELERY_WORKER_POOL"])
        #expect(config.brokerURL == "redis://h")
    }

    @Test func environmentAppliesOnTopOfBase() throws {
        var base = CeleriacConfiguration()
        base.taskDefaultQueue = "fromBase"
        base.workerPrefetchMultiplier = 2
        let config = try CeleriacConfiguration(environment: ["CELERY_WORKER_PREFETCH_MULTIPLIER": "9"], base: base)
        #expect(config.taskDefaultQueue == "fromBase")
        #expect(config.workerPrefetchMultiplier == 9)
    }

    @Test func environmentNamesAreDerivedFromSettingNames() {
        #expect(Setting.byEnvironmentName["CELERY_BROKER_URL"]?.key == "broker_url")
        #expect(Setting.byEnvironmentName["CELERY_TIMEZONE"]?.key == "timezone")
        #expect(Setting.byEnvironmentName["CELERIAC_DEAD_LETTER"]?.key == "celeriac_dead_letter")
        #expect(Setting.byKey.count == Setting.all.count)
        #expect(Setting.byEnvironmentName.count == Setting.all.count)
    }
}
