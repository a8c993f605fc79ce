import Celeriac
import CeleriacRESP
import CeleriacRabbitMQ
import CeleriacRedis
import CeleriacSQLite
import Logging

/// Opens the broker and result backend a configuration names, for commands and embedding applications.
public struct CeleriacConnections: Sendable {
    /// The broker.
    public var broker: any Broker
    /// The result backend, or `nil` when none is configured.
    public var backend: (any ResultBackend)?

    /// Opens the broker and backend of `configuration`.
    /// - Throws: ``CeleriacError`` with code ``CeleriacError/Code/invalidURL`` or
    ///   ``CeleriacError/Code/invalidConfiguration`` for a bad or unsupported URL, before anything is opened.
    public static func open(_ configuration: CeleriacConfiguration, logger: Logger) async throws -> CeleriacConnections {
        let brokerURL = try configuration.brokerServiceURL()
        let backendURL = try configuration.resultBackendServiceURL()
        let broker = try await openBroker(brokerURL, configuration: configuration, logger: logger)
        do {
            var backend: (any ResultBackend)?
            if let backendURL {
                if backendURL.scheme == .rpc {
                    backend = try await openRPCBackend(backendURL, broker: broker, configuration: configuration, logger: logger)
                } else {
                    backend = try await openBackend(backendURL, configuration: configuration, logger: logger)
                }
            }
            return CeleriacConnections(broker: broker, backend: backend)
        } catch {
            await broker.close()
            throw error
        }
    }

    /// Closes both.
    public func close() async {
        await backend?.close()
        await broker.close()
    }

    private static func openBroker(_ url: ServiceURL, configuration: CeleriacConfiguration, logger: Logger) async throws -> any Broker {
        switch url.scheme {
        case .sqlite:
            guard let path = url.sqlitePath, !path.isEmpty, path != ":memory:" else {
                throw CeleriacError(.invalidURL, "broker_url \(url): the SQLite broker needs a file path (sqlite:///relative.db or sqlite:////absolute.db), since workers and producers share it")
            }
            var options = SQLiteBroker.Configuration()
            let visibility = configuration.brokerTransportOptions.visibilityTimeout
            options.visibilityTimeout = .seconds(visibility)
            // Restore expired leases at least twice per visibility timeout, at most every 5 s.
            options.restoreInterval = .seconds(min(5, max(0.5, visibility / 2)))
            options.logger = logger
            return try await SQLiteBroker(path: path, configuration: options)
        case .redis, .rediss, .sentinel:
            let transport = configuration.brokerTransportOptions
            var options = RedisBroker.Configuration()
            options.visibilityTimeout = .seconds(transport.visibilityTimeout)
            options.keyPrefix = transport.globalKeyprefix ?? ""
            options.restoreInterval = .seconds(min(10, max(0.5, transport.visibilityTimeout / 2)))
            options.logger = logger
            let client = try redisClient(
                configuration.effectiveBrokerURL, url: url, setting: "broker_url", masterName: transport.masterName,
                ssl: configuration.brokerUseSSL, sslSetting: "broker_use_ssl", logger: logger)
            try await checkRedis(client, url: url, setting: "broker_url")
            return RedisBroker(client: client, configuration: options)
        case .amqp, .amqps, .pyamqp, ServiceURL.Scheme(rawValue: "pyamqps"):
            let options = try rabbitMQOptions(configuration, logger: logger)
            let broker = try RabbitMQBroker(url: configuration.effectiveBrokerURL, configuration: options)
            try await broker.checkConnection()
            return broker
        default:
            throw CeleriacError(.invalidConfiguration, "broker_url \(url): the \(url.scheme) broker is not part of this build of Celeriac; use sqlite:///path.db")
        }
    }

    /// The RabbitMQ broker settings from Celery's: `task_default_queue_type`, `task_default_exchange_type`,
    /// `task_queue_max_priority`, `broker_native_delayed_delivery_queue_type`, `worker_detect_quorum_queues` and
    /// the `confirm_publish` transport option (publisher confirms stay on unless it is `false`).
    static func rabbitMQOptions(_ configuration: CeleriacConfiguration, logger: Logger) throws(CeleriacError) -> RabbitMQBroker.Configuration {
        var options = RabbitMQBroker.Configuration()
        options.logger = logger
        options.queueType = try RabbitMQBroker.QueueType(celery: configuration.taskDefaultQueueType, setting: "task_default_queue_type")
        options.exchangeType = configuration.taskDefaultExchangeType
        options.maxPriority = configuration.taskQueueMaxPriority
        options.delayedDeliveryQueueType = try RabbitMQBroker.QueueType(
            celery: configuration.brokerNativeDelayedDeliveryQueueType, setting: "broker_native_delayed_delivery_queue_type")
        options.detectQuorumQueues = configuration.workerDetectQuorumQueues
        if case .bool(let confirm)? = configuration.brokerTransportOptions.other["confirm_publish"] { options.publisherConfirms = confirm }
        try options.validate()
        return options
    }

    /// Celery's `rpc://` backend on the broker's connection; it needs a RabbitMQ broker.
    private static func openRPCBackend(_ url: ServiceURL, broker: any Broker, configuration: CeleriacConfiguration, logger: Logger) async throws -> any ResultBackend {
        guard let rabbit = broker as? RabbitMQBroker else {
            throw CeleriacError(.invalidConfiguration, "result_backend \(url): the rpc:// backend sends results over the broker's AMQP connection, so broker_url must be amqp://, amqps:// or pyamqp://")
        }
        var options = RPCResultBackend.Configuration()
        options.resultExpires = configuration.resultExpires.flatMap { $0 > 0 ? .milliseconds(Int64(($0 * 1000).rounded())) : nil }
        options.persistent = configuration.resultPersistent
        options.logger = logger
        return await RPCResultBackend(broker: rabbit, configuration: options)
    }

    private static func openBackend(_ url: ServiceURL, configuration: CeleriacConfiguration, logger: Logger) async throws -> any ResultBackend {
        switch url.scheme {
        case .sqlite:
            guard let path = url.sqlitePath, !path.isEmpty, path != ":memory:" else {
                throw CeleriacError(.invalidURL, "result_backend \(url): the SQLite backend needs a file path")
            }
            var options = SQLiteResultBackend.Configuration()
            options.resultExpires = configuration.resultExpires.flatMap { $0 > 0 ? .seconds($0) : nil }
            options.logger = logger
            return try await SQLiteResultBackend(path: path, configuration: options)
        case .redis, .rediss, .sentinel:
            let transport = configuration.resultBackendTransportOptions
            var options = RedisResultBackend.Configuration()
            options.resultExpires = configuration.resultExpires.flatMap { $0 > 0 ? .seconds($0) : nil }
            options.keyPrefix = transport["global_keyprefix"]?.stringValue ?? ""
            options.logger = logger
            let masterName = transport["master_name"]?.stringValue ?? configuration.brokerTransportOptions.masterName
            let client = try redisClient(
                configuration.effectiveResultBackend ?? "", url: url, setting: "result_backend", masterName: masterName,
                ssl: configuration.redisBackendUseSSL, sslSetting: "redis_backend_use_ssl", logger: logger)
            try await checkRedis(client, url: url, setting: "result_backend")
            return RedisResultBackend(client: client, configuration: options)
        case .dbPostgresql, .djangoDB:
            return try await openPostgresBackend(url, configuration: configuration, logger: logger)
        default:
            throw CeleriacError(.invalidConfiguration, "result_backend \(url): the \(url.scheme) backend is not part of this build of Celeriac; use sqlite:///path.db")
        }
    }

    /// A Redis client for a `redis://`, `rediss://` or `sentinel://` setting (a `;`-separated failover list
    /// tries its servers in turn).
    ///
    /// `ssl` (Celery's `broker_use_ssl` / `redis_backend_use_ssl`) turns TLS on as kombu does, even for a
    /// `redis://` URL; `ssl_*` query items on a `rediss://` URL win over it.
    private static func redisClient(
        _ text: String, url: ServiceURL, setting: String, masterName: String?, ssl: JSONObject?, sslSetting: String, logger: Logger
    ) throws -> RESPClient {
        do {
            var configuration = try RESPClient.Configuration(url: text, sentinelMasterName: masterName)
            if let ssl, !text.contains("ssl_") {
                configuration.tls = try .init(celeryOptions: celerySSLOptions(ssl))
            }
            return RESPClient(configuration: configuration, logger: logger)
        } catch let error as RESPError {
            let source = ssl != nil && error.code == .invalidConfiguration ? sslSetting : "\(setting) \(url)"
            throw CeleriacError(.invalidURL, "\(source): \(error.message ?? "\(error.code)")")
        }
    }

    /// Celery's `ssl_*` keys as text; `ssl_cert_reqs` may be Python's `ssl.CERT_*` number (0 none, 1 optional,
    /// 2 required) when the setting came from a JSON file.
    static func celerySSLOptions(_ object: JSONObject) -> [String: String] {
        var options: [String: String] = [:]
        for (key, value) in object {
            switch value {
            case .string(let text): options[key] = text
            case .bool(let flag): options[key] = flag ? "true" : "false"
            case .int(let number) where key == "ssl_cert_reqs": options[key] = [0: "none", 1: "optional", 2: "required"][number] ?? "\(number)"
            default: options[key] = value.serialized(.compact)
            }
        }
        return options
    }

    /// Sends a `PING` so that a refused connection or wrong password fails now, naming the setting.
    private static func checkRedis(_ client: RESPClient, url: ServiceURL, setting: String) async throws {
        do {
            _ = try await client.send(RESPCommand("PING"))
        } catch {
            await client.close()
            let text = "\(error)".uppercased()
            if text.contains("WRONGPASS") || text.contains("NOAUTH") || text.contains("INVALID PASSWORD") || text.contains("INVALID USERNAME") {
                throw CeleriacError(
                    .invalidConfiguration, "\(setting) \(url): Redis refused the credentials (wrong user name or password)")
            }
            let code = (error as? RESPError).map { "\($0.code)" } ?? "\(error)"
            throw CeleriacError(setting == "broker_url" ? .brokerFailure : .backendFailure, "\(setting) \(url): cannot connect to Redis (\(code))", underlying: error)
        }
    }
}
