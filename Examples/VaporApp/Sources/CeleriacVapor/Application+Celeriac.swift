import Celeriac
import Foundation
import Synchronization
import Vapor

extension Application {
    /// Celeriac in this application: its settings, its tasks, the client that sends them and the in-process
    /// worker.
    ///
    /// ```swift
    /// try app.celeriac.configure { $0.brokerURL = "sqlite:///celeriac.sqlite" }   // CELERY_BROKER_URL wins
    /// app.celeriac.registry.register(add) { args, _ in args.x + args.y }
    /// app.celeriac.inProcessWorker = CeleriacWorkerOptions(concurrency: 2)        // optional
    /// ```
    /// The first use registers the `celeriac` command group (`swift run App celeriac worker`) and the lifecycle
    /// handler that starts the in-process worker at boot and closes everything at shutdown.
    public var celeriac: CeleriacSupport {
        CeleriacSupport(box: Self.celeriacBox(in: self))
    }

    private struct CeleriacKey: StorageKey {
        typealias Value = CeleriacBox
    }

    /// Makes the get-or-create of the box atomic when the first uses race.
    private static let celeriacSetup = Mutex(())

    private static func celeriacBox(in application: Application) -> CeleriacBox {
        celeriacSetup.withLock { _ in
            if let box = application.storage[CeleriacKey.self] { return box }
            let box = CeleriacBox(logger: application.logger)
            application.storage[CeleriacKey.self] = box
            application.lifecycle.use(CeleriacLifecycle(box: box))
            application.asyncCommands.use(CeleriacCommandGroup(), as: "celeriac")
            return box
        }
    }

    /// `app.celeriac`: see ``Vapor/Application/celeriac``.
    public struct CeleriacSupport: Sendable {
        let box: CeleriacBox

        /// The tasks this application runs. Register them in `configure(_:)`, before the app boots.
        public var registry: TaskRegistry { box.registry }

        /// The settings. Set before the client is first used; when never set, Celery's environment variables
        /// (`CELERY_BROKER_URL`, `CELERY_RESULT_BACKEND`, ...) over the defaults (the SQLite file
        /// `celeriac.sqlite` in the working directory). Setting it does not validate it: boot does.
        public var configuration: CeleriacConfiguration? {
            get { box.state.withLock { $0.configuration } }
            nonmutating set { box.state.withLock { $0.configuration = newValue } }
        }

        /// Builds the settings as the `celeriac` command line does, lowest first: Celeriac's defaults, then
        /// `defaults` from code, then the JSON settings file, then Celery's environment variables (Vapor's
        /// `.env` files included). So a deployment's `CELERY_BROKER_URL` beats the broker written in code.
        /// - Parameters:
        ///   - file: a JSON file of settings with Celery's names (`broker_url`, `task_acks_late`, ...), or `nil`.
        ///   - environment: the variables; the process's by default.
        ///   - defaults: settings written in code.
        /// - Throws: ``CeleriacError`` naming the bad setting.
        public func configure(
            file: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment,
            defaults: (inout CeleriacConfiguration) throws(CeleriacError) -> Void = { _ in }
        ) throws(CeleriacError) {
            var settings = CeleriacConfiguration()
            try defaults(&settings)
            if let file { settings = try CeleriacConfiguration(contentsOfFile: file, base: settings) }
            settings = try CeleriacConfiguration(environment: environment, base: settings)
            try settings.validate()
            configuration = settings
        }

        /// A worker run inside the web application, from boot to shutdown; `nil` (the default) for none.
        ///
        /// It runs when the application serves HTTP (`serve`, the default command) and in tests; never with
        /// another command (`celeriac worker`, `routes`, ...). Set it in `configure(_:)`, before boot.
        public var inProcessWorker: CeleriacWorkerOptions? {
            get { box.state.withLock { $0.workerOptions } }
            nonmutating set { box.state.withLock { $0.workerOptions = newValue } }
        }

        /// The in-process worker while it runs.
        public var runningWorker: Worker? {
            box.state.withLock { $0.worker?.worker }
        }

        /// The client: sends tasks and reads results. The broker and result backend are opened on first use.
        /// - Throws: ``CeleriacError`` when the settings are invalid or the broker or backend cannot be opened.
        public func client() async throws -> CeleriacApp {
            try await box.client()
        }

        /// The settings in use: ``configuration``, or those read from the environment.
        /// - Throws: ``CeleriacError`` naming a bad environment variable.
        public func resolvedConfiguration() throws -> CeleriacConfiguration {
            try box.resolvedConfiguration()
        }
    }
}
