import Celeriac
import Logging
import ServiceLifecycle

/// Keeps a ``CeleriacApp``'s broker and result backend open while the application runs, and closes them when
/// it stops.
///
/// Put it before the worker and beat in a `ServiceGroup` (or an `Application`'s services):
/// ServiceLifecycle stops services in reverse order, so the HTTP server stops taking requests first, the
/// worker then finishes its running tasks (storing their results), and the connections close last.
/// ``Hummingbird/Application/addCeleriac(_:worker:beat:onShutdown:)`` adds all three in that order.
///
/// ```swift
/// var app = Application(router: router)
/// app.addServices(CeleriacLifecycle(app: celeriac), worker)
/// ```
public struct CeleriacLifecycle: Service {
    /// The app whose connections are closed.
    public let app: CeleriacApp
    private let onShutdown: @Sendable () async -> Void
    private let logger: Logger

    /// Creates the service.
    /// - Parameters:
    ///   - app: the Celeriac app whose broker and backend are closed at shutdown.
    ///   - logger: logs the close; the app's logger by default.
    ///   - onShutdown: more cleanup run before the broker and backend close (a beat store, say).
    public init(app: CeleriacApp, logger: Logger? = nil, onShutdown: @escaping @Sendable () async -> Void = {}) {
        self.app = app
        self.logger = logger ?? app.logger
        self.onShutdown = onShutdown
    }

    /// Waits for a graceful shutdown (or cancellation), then runs `onShutdown` and closes the backend and the
    /// broker.
    public func run() async throws {
        // Returns on graceful shutdown; throws on cancellation. Either way the connections close.
        try? await gracefulShutdown()
        await onShutdown()
        logger.info("celeriac: closing the broker and result backend")
        await app.backend?.close()
        await app.broker.close()
    }
}
