import Foundation

/// One setting Celeriac reads: its lowercase name (config files), its environment variable, and how a
/// raw value is stored into a ``CeleriacConfiguration``.
struct Setting: Sendable {
    /// Celery's lowercase name, as in a config file: `task_acks_late`.
    let key: String
    /// How much of a bad value an error may show.
    let secrecy: SettingValue.Secrecy
    /// Converts the value and stores it.
    let apply: @Sendable (inout CeleriacConfiguration, SettingValue) throws(CeleriacError) -> Void

    /// The environment variable: `CELERY_` + the name in capitals, or the name in capitals for Celeriac's own
    /// `celeriac_` settings.
    var environmentName: String {
        key.hasPrefix("celeriac_") ? key.uppercased() : "CELERY_" + key.uppercased()
    }

    /// A value for this setting, named for errors.
    func value(_ raw: SettingValue.Raw, name: String) -> SettingValue {
        SettingValue(name: name, raw: raw, secrecy: secrecy)
    }
}

extension Setting {
    typealias Path<Value> = any WritableKeyPath<CeleriacConfiguration, Value> & Sendable

    static func bool(_ key: String, _ path: Path<Bool>) -> Setting {
        Setting(key: key, secrecy: .visible) { (config, value) throws(CeleriacError) in config[keyPath: path] = try value.bool() }
    }

    static func int(_ key: String, _ path: Path<Int>) -> Setting {
        Setting(key: key, secrecy: .visible) { (config, value) throws(CeleriacError) in config[keyPath: path] = try value.int() }
    }

    static func optionalInt(_ key: String, _ path: Path<Int?>, zeroMeansNone: Bool = false) -> Setting {
        Setting(key: key, secrecy: .visible) { (config, value) throws(CeleriacError) in
            let number = try value.optionalInt()
            config[keyPath: path] = zeroMeansNone && number == 0 ? nil : number
        }
    }

    static func double(_ key: String, _ path: Path<Double>) -> Setting {
        Setting(key: key, secrecy: .visible) { (config, value) throws(CeleriacError) in config[keyPath: path] = try value.double() }
    }

    static func optionalDouble(_ key: String, _ path: Path<Double?>, zeroMeansNone: Bool = false) -> Setting {
        Setting(key: key, secrecy: .visible) { (config, value) throws(CeleriacError) in
            let number = try value.optionalDouble()
            config[keyPath: path] = zeroMeansNone && number == 0 ? nil : number
        }
    }

    static func string(_ key: String, _ path: Path<String>) -> Setting {
        Setting(key: key, secrecy: .visible) { (config, value) throws(CeleriacError) in
            let text = try value.string()
            guard !text.isEmpty else { throw value.typeError("a non-empty string") }
            config[keyPath: path] = text
        }
    }

    /// A RabbitMQ queue type: "classic" or "quorum".
    static func queueType(_ key: String, _ path: Path<String>) -> Setting {
        Setting(key: key, secrecy: .visible) { (config, value) throws(CeleriacError) in
            let text = try value.string().lowercased()
            guard text == "classic" || text == "quorum" else { throw value.typeError("\"classic\" or \"quorum\"") }
            config[keyPath: path] = text
        }
    }

    static func optionalString(_ key: String, _ path: Path<String?>) -> Setting {
        Setting(key: key, secrecy: .visible) { (config, value) throws(CeleriacError) in config[keyPath: path] = try value.optionalString() }
    }

    /// A URL setting: parsed at once so a bad URL is reported with the variable's name (password redacted).
    static func url(_ key: String, _ path: Path<String?>) -> Setting {
        Setting(key: key, secrecy: .url) { (config, value) throws(CeleriacError) in
            guard let text = try value.optionalString() else {
                config[keyPath: path] = nil
                return
            }
            do throws(CeleriacError) {
                _ = try ServiceURL(text)
            } catch {
                throw value.error(error.message)
            }
            config[keyPath: path] = text
        }
    }

    /// A TLS setting in Celery's shape: a boolean (`true` turns TLS on with its defaults, `false` off) or an
    /// object of `ssl_*` keys.
    static func ssl(_ key: String, _ path: Path<JSONObject?>) -> Setting {
        Setting(key: key, secrecy: .visible) { (config, value) throws(CeleriacError) in
            if value.isNone {
                config[keyPath: path] = nil
            } else if let enabled = try? value.bool() {
                config[keyPath: path] = enabled ? [:] : nil
            } else {
                config[keyPath: path] = try value.object()
            }
        }
    }

    /// A serializer setting: only JSON.
    static func serializer(_ key: String, _ path: Path<String>) -> Setting {
        Setting(key: key, secrecy: .visible) { (config, value) throws(CeleriacError) in
            let name = try value.string().lowercased()
            guard CeleriacConfiguration.isJSONContentType(name) else {
                throw value.error("Celeriac speaks JSON only, so the serializer must be \"json\"; got \(value.shown)")
            }
            config[keyPath: path] = "json"
        }
    }
}

extension Setting {
    /// Every setting Celeriac reads, in documentation order.
    static let all: [Setting] = [
        .url("broker_url", \.brokerURL),
        .url("result_backend", \.resultBackend),
        Setting(key: "broker_transport_options", secrecy: .hidden) { (config, value) throws(CeleriacError) in
            config.brokerTransportOptions = try BrokerTransportOptions(json: value.object(), name: value.name)
        },
        Setting(key: "result_backend_transport_options", secrecy: .hidden) { (config, value) throws(CeleriacError) in
            config.resultBackendTransportOptions = try value.object()
        },
        .ssl("broker_use_ssl", \.brokerUseSSL),
        .ssl("redis_backend_use_ssl", \.redisBackendUseSSL),
        .double("broker_connection_timeout", \.brokerConnectionTimeout),
        .bool("broker_connection_retry", \.brokerConnectionRetry),
        .optionalInt("broker_connection_max_retries", \.brokerConnectionMaxRetries, zeroMeansNone: true),
        .string("timezone", \.timezone),
        .bool("enable_utc", \.enableUTC),
        Setting(key: "beat_schedule", secrecy: .visible) { (config, value) throws(CeleriacError) in
            let schedule = value.isNone ? [:] : try value.object()
            do throws(CeleriacError) {
                _ = try BeatSchedule.entries(from: schedule, timeZone: TimeZone(identifier: "UTC") ?? .current)
            } catch {
                throw value.error(error.message)
            }
            config.beatSchedule = schedule
        },
        .serializer("task_serializer", \.taskSerializer),
        .serializer("result_serializer", \.resultSerializer),
        Setting(key: "accept_content", secrecy: .visible) { (config, value) throws(CeleriacError) in
            let list = try value.stringList()
            guard list.contains(where: CeleriacConfiguration.isJSONContentType) else {
                throw value.error("Celeriac speaks JSON only, so the list must include \"json\" (or \"application/json\"); got \(value.shown)")
            }
            config.acceptContent = list
        },
        .bool("task_acks_late", \.taskAcksLate),
        .bool("task_reject_on_worker_lost", \.taskRejectOnWorkerLost),
        .bool("task_track_started", \.taskTrackStarted),
        .bool("task_ignore_result", \.taskIgnoreResult),
        .string("task_default_queue", \.taskDefaultQueue),
        Setting(key: "task_default_priority", secrecy: .visible) { (config, value) throws(CeleriacError) in
            let priority = try value.optionalInt()
            if let priority, !(0...9).contains(priority) { throw value.typeError("a priority from 0 to 9") }
            config.taskDefaultPriority = priority
        },
        Setting(key: "task_routes", secrecy: .visible) { (config, value) throws(CeleriacError) in
            config.taskRoutes = try TaskRoutes(json: value.isNone ? [:] : value.object(), name: value.name)
        },
        .optionalDouble("task_time_limit", \.taskTimeLimit),
        .optionalDouble("task_soft_time_limit", \.taskSoftTimeLimit),
        Setting(key: "task_default_rate_limit", secrecy: .visible) { (config, value) throws(CeleriacError) in
            let text = value.isNone ? nil : try value.string(acceptNumbers: true)
            do throws(CeleriacError) {
                _ = try RateLimit.parse(text)
            } catch {
                throw value.error(error.message)
            }
            config.taskDefaultRateLimit = text
        },
        .bool("task_publish_retry", \.taskPublishRetry),
        Setting(key: "task_publish_retry_policy", secrecy: .visible) { (config, value) throws(CeleriacError) in
            config.taskPublishRetryPolicy = try PublishRetryPolicy(json: value.object(), base: config.taskPublishRetryPolicy, name: value.name)
        },
        .bool("task_send_sent_event", \.taskSendSentEvent),
        .queueType("task_default_queue_type", \.taskDefaultQueueType),
        .string("task_default_exchange_type", \.taskDefaultExchangeType),
        .optionalInt("task_queue_max_priority", \.taskQueueMaxPriority),
        .queueType("broker_native_delayed_delivery_queue_type", \.brokerNativeDelayedDeliveryQueueType),
        .bool("worker_detect_quorum_queues", \.workerDetectQuorumQueues),
        .bool("result_persistent", \.resultPersistent),
        .optionalDouble("result_expires", \.resultExpires, zeroMeansNone: true),
        .bool("result_extended", \.resultExtended),
        Setting(key: "worker_concurrency", secrecy: .visible) { (config, value) throws(CeleriacError) in
            // Celery: 0, None and "auto" mean one slot per CPU.
            if value.isAuto {
                config.workerConcurrency = nil
                return
            }
            let expected = "a positive integer (or 0 or \"auto\" for the number of CPUs)"
            let number: Int?
            do throws(CeleriacError) {
                number = try value.optionalInt()
            } catch {
                throw value.typeError(expected)
            }
            if let number, number < 0 { throw value.typeError(expected) }
            config.workerConcurrency = number == 0 ? nil : number
        },
        .int("worker_prefetch_multiplier", \.workerPrefetchMultiplier),
        .optionalInt("worker_eta_task_limit", \.workerEtaLimit),
        .bool("worker_send_task_events", \.workerSendTaskEvents),
        .optionalString("celeriac_worker_hostname", \.workerHostname),
        Setting(key: "celeriac_dead_letter", secrecy: .visible) { (config, value) throws(CeleriacError) in
            switch try value.string().lowercased() {
            case "keep": config.deadLetterEnabled = true
            case "discard": config.deadLetterEnabled = false
            default: throw value.typeError("\"keep\" or \"discard\"")
            }
        },
        .int("celeriac_max_message_size", \.maxMessageSize),
    ]

    /// The settings by lowercase name.
    static let byKey: [String: Setting] = Dictionary(all.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })

    /// The settings by environment variable name.
    static let byEnvironmentName: [String: Setting] = Dictionary(all.map { ($0.environmentName, $0) }, uniquingKeysWith: { first, _ in first })
}

extension CeleriacConfiguration {
    /// Whether a serializer or content type names JSON (`json`, `application/json`).
    static func isJSONContentType(_ name: String) -> Bool {
        let lowered = ConfigText.trimmed(name).lowercased()
        return lowered == "json" || lowered == "application/json"
    }
}
