import Foundation

extension CeleriacConfiguration {
    /// Reads settings from environment variables with Celery's names, on top of `base`.
    ///
    /// A setting's variable is `CELERY_` followed by its name in capitals, as Celery's Django integration
    /// (`namespace="CELERY"`) reads them: `CELERY_BROKER_URL`, `CELERY_RESULT_BACKEND`, `CELERY_TIMEZONE`,
    /// `CELERY_TASK_ACKS_LATE`, `CELERY_WORKER_CONCURRENCY`, `CELERY_TASK_ROUTES`... Celeriac's own settings use
    /// `CELERIAC_`: `CELERIAC_DEAD_LETTER` (`keep`/`discard`), `CELERIAC_MAX_MESSAGE_SIZE`, `CELERIAC_WORKER_HOSTNAME`.
    ///
    /// Values are written as Python users write them:
    /// - booleans: `true`/`false`, `yes`/`no`, `on`/`off`, `1`/`0`, in any case;
    /// - numbers: `4`, `0.5`; optional numbers also take `None`, `null` or an empty value;
    /// - lists (`CELERY_ACCEPT_CONTENT`): a JSON array or comma-separated names;
    /// - dicts (`CELERY_TASK_ROUTES`, `CELERY_BROKER_TRANSPORT_OPTIONS`): a JSON object.
    ///
    /// Other `CELERY_` variables are ignored (Django projects define many) and listed in ``unrecognizedKeys``.
    ///
    /// - Parameters:
    ///   - environment: the variables; the process's by default.
    ///   - base: the configuration the variables are applied to.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/invalidConfiguration``) naming the variable, the
    ///   expected type and the bad value (a URL's password is replaced by `***`, dicts that may hold
    ///   passwords are not shown).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment, base: CeleriacConfiguration = .init()) throws(CeleriacError) {
        self = base
        for name in environment.keys.sorted() {
            guard let text = environment[name] else { continue }
            if let setting = Setting.byEnvironmentName[name] {
                try setting.apply(&self, setting.value(.text(text), name: name))
            } else if name.hasPrefix("CELERY_"), !unrecognizedKeys.contains(name) {
                unrecognizedKeys.append(name)
            }
        }
    }

    /// Builds a configuration from defaults, a JSON file, the environment and code, then validates it.
    ///
    /// Precedence, lowest first: **code defaults < file < environment < overrides**. So a deployment's
    /// `CELERY_BROKER_URL` beats the broker in the file, and a command-line flag passed as an override beats both:
    /// ```swift
    /// let config = try CeleriacConfiguration.resolve(file: options.configFile) { config in
    ///     if let concurrency = options.concurrency { config.workerConcurrency = concurrency }
    /// }
    /// ```
    /// - Parameters:
    ///   - file: the path of a JSON configuration file (see ``init(contentsOfFile:base:)``), or `nil` for none.
    ///   - environment: the variables (see ``init(environment:base:)``); the process's by default.
    ///   - overrides: changes applied last, typically from command-line options.
    /// - Returns: the validated configuration.
    /// - Throws: ``CeleriacError`` from reading the file, reading the environment, `overrides`, or ``validate()``.
    public static func resolve(
        file: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        overrides: (inout CeleriacConfiguration) throws(CeleriacError) -> Void = { _ in }
    ) throws(CeleriacError) -> CeleriacConfiguration {
        var config = CeleriacConfiguration()
        if let file { config = try CeleriacConfiguration(contentsOfFile: file, base: config) }
        config = try CeleriacConfiguration(environment: environment, base: config)
        try overrides(&config)
        try config.validate()
        return config
    }
}
