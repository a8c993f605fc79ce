import Celeriac
import Hummingbird
import ServiceLifecycle

extension Application {
    /// Runs Celeriac with this application: a ``CeleriacLifecycle`` that closes `app`'s connections at
    /// shutdown, then the worker and beat, if given, as services of the application.
    ///
    /// Shutdown order (ServiceLifecycle stops services in reverse): the HTTP server stops taking requests
    /// and finishes those in flight, beat stops and releases its lease, the worker stops taking messages and
    /// lets running tasks finish within its grace period, and last the broker and backend close.
    /// ```swift
    /// var application = Application(router: router, configuration: .init(address: .hostname("0.0.0.0", port: 8080)))
    /// application.addCeleriac(celeriac, worker: Worker(app: celeriac, logger: logger))
    /// try await application.runService()   // SIGTERM/SIGINT: graceful shutdown
    /// ```
    /// - Parameters:
    ///   - app: the Celeriac app request handlers send tasks with.
    ///   - worker: a worker running in this process, or `nil` when workers run elsewhere.
    ///   - beat: a beat running in this process, or `nil`.
    ///   - onShutdown: more cleanup just before the connections close (a beat store, say).
    public mutating func addCeleriac(_ app: CeleriacApp, worker: Worker? = nil, beat: Beat? = nil, onShutdown: @escaping @Sendable () async -> Void = {}) {
        var services: [any Service] = [CeleriacLifecycle(app: app, onShutdown: onShutdown)]
        if let worker { services.append(worker) }
        if let beat { services.append(beat) }
        addServices(services)
    }
}
