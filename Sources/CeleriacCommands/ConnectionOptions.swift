import ArgumentParser
import Celeriac

/// The options every command takes: where the broker and result backend are, and a config file.
public struct ConnectionOptions: ParsableArguments {
    /// The broker URL; `CELERY_BROKER_URL`, then the embedded default `sqlite:///celeriac.sqlite`.
    @Option(name: [.customShort("b"), .long], help: "Broker URL (default: $CELERY_BROKER_URL, then sqlite:///celeriac.sqlite).")
    public var broker: String?

    /// The result backend URL; `CELERY_RESULT_BACKEND`, then the broker's SQLite file.
    @Option(name: .customLong("result-backend"), help: "Result backend URL (default: $CELERY_RESULT_BACKEND, then the SQLite broker's file).")
    public var resultBackend: String?

    /// A JSON file with Celery's setting names.
    @Option(name: .customLong("config"), help: "A JSON file of settings with Celery's names (broker_url, task_acks_late, ...).")
    public var configFile: String?

    /// Creates the options with nothing set.
    public init() {}

    /// The configuration: defaults < config file < `CELERY_` environment < these options.
    public func configuration(_ adjust: (inout CeleriacConfiguration) -> Void = { _ in }) throws -> CeleriacConfiguration {
        try CeleriacConfiguration.resolve(file: configFile) { (config: inout CeleriacConfiguration) throws(CeleriacError) in
            if let broker { config.brokerURL = broker }
            if let resultBackend { config.resultBackend = resultBackend }
            adjust(&config)
        }
    }
}
