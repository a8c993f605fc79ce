import Celeriac
import CeleriacCommands
import Logging
import Synchronization
import Vapor

/// What `app.celeriac` keeps in the application's storage: the settings, the task registry, the client (opened on
/// first use) and the in-process worker.
final class CeleriacBox: Sendable {
    /// The client and the connections it was built on.
    struct Opened: Sendable {
        var client: CeleriacApp
        var connections: CeleriacConnections
    }

    /// A running in-process worker.
    struct RunningWorker: Sendable {
        var worker: Worker
        var task: Task<Void, Never>
    }

    struct State: Sendable {
        var configuration: CeleriacConfiguration?
        var workerOptions: CeleriacWorkerOptions?
        var opening: Task<Opened, any Error>?
        var worker: RunningWorker?
        /// Set when shutdown begins: no in-process worker starts after it.
        var workerStopped = false
        /// Set when the connections are closed: the client cannot be used after it.
        var closed = false
    }

    let state = Mutex(State())
    /// The tasks of this application: the in-process worker and `celeriac worker` run these.
    let registry = TaskRegistry()
    let logger: Logger

    init(logger: Logger) {
        var logger = logger
        logger[metadataKey: "component"] = "celeriac"
        self.logger = logger
    }

    /// The settings: those set with `configure` or `configuration`, else Celery's environment variables.
    func resolvedConfiguration() throws -> CeleriacConfiguration {
        if let configuration = state.withLock({ $0.configuration }) { return configuration }
        let configuration = try CeleriacConfiguration.resolve()
        state.withLock { if $0.configuration == nil { $0.configuration = configuration } }
        return configuration
    }

    /// The client, opening the broker and result backend on first use. A failed open is not kept: the next call
    /// tries again.
    func client() async throws -> CeleriacApp {
        let configuration = try resolvedConfiguration()
        let task: Task<Opened, any Error> = try state.withLock { state in
            if state.closed {
                throw CeleriacError(.closed, "the Celeriac client is closed: the application has shut down")
            }
            if let opening = state.opening { return opening }
            let registry = self.registry
            let logger = self.logger
            let opening = Task {
                let connections = try await CeleriacConnections.open(configuration, logger: logger)
                let client = CeleriacApp(
                    configuration: configuration, broker: connections.broker, backend: connections.backend, registry: registry, logger: logger)
                return Opened(client: client, connections: connections)
            }
            state.opening = opening
            return opening
        }
        do {
            return try await task.value.client
        } catch {
            state.withLock { state in
                if state.opening == task { state.opening = nil }
            }
            throw error
        }
    }

    /// Starts the in-process worker when one is configured and none runs yet.
    /// - Throws: when the broker or result backend cannot be opened.
    func startWorker() async throws {
        guard let options = state.withLock({ $0.worker == nil ? $0.workerOptions : nil }) else { return }
        let client = try await client()
        let worker = Worker(app: client, configuration: options.workerConfiguration(for: client.configuration), logger: options.logger(from: logger))
        let started: Bool = state.withLock { state in
            guard state.worker == nil, !state.workerStopped else { return false }
            let logger = self.logger
            let task = Task {
                do {
                    try await worker.run()
                } catch {
                    logger.error("the in-process Celeriac worker stopped with an error", metadata: ["error": "\(error)"])
                }
            }
            state.worker = RunningWorker(worker: worker, task: task)
            return true
        }
        if started {
            logger.info("in-process Celeriac worker started", metadata: ["queues": "\(worker.configuration.queues.joined(separator: ","))"])
        }
    }

    /// Stops the in-process worker gracefully (running tasks get the grace period), then closes the connections.
    /// Requests may still send tasks while the worker drains; after that the client is closed.
    func close() async {
        let running = state.withLock { state in
            state.workerStopped = true
            let running = state.worker
            state.worker = nil
            return running
        }
        if let running {
            running.worker.beginShutdown()
            await running.task.value
            logger.info("in-process Celeriac worker stopped", metadata: ["processed": "\(running.worker.counts.processed)"])
        }
        let opening = state.withLock { state in
            state.closed = true
            let opening = state.opening
            state.opening = nil
            return opening
        }
        if let opened = try? await opening?.value {
            await opened.connections.close()
        }
    }
}
