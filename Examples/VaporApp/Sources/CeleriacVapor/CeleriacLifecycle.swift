import Celeriac
import Synchronization
import Vapor

/// Validates the settings at boot, starts the in-process worker when the application serves HTTP (or runs in
/// tests), and at shutdown stops the worker gracefully and closes the broker and result backend.
struct CeleriacLifecycle: LifecycleHandler {
    let box: CeleriacBox

    /// Before boot: `-n` after `celeriac worker` becomes `--hostname`, since ConsoleKit takes `-n` for itself (its
    /// global "answer no" flag) before any command sees it. Boot runs before Vapor reads the command line.
    func willBoot(_ application: Application) throws {
        application.environment.arguments = Self.hostnameFlagRewritten(application.environment.arguments)
    }

    /// `[exe, "celeriac", "worker", ..., "-n", name, ...]` with `-n` replaced by `--hostname`; others unchanged.
    static func hostnameFlagRewritten(_ arguments: [String]) -> [String] {
        guard arguments.count > 3, arguments[1] == "celeriac", arguments[2] == "worker" else { return arguments }
        var rewritten = arguments
        var index = 3
        while index < rewritten.count {
            if rewritten[index] == "-n", index + 1 < rewritten.count {
                rewritten[index] = "--hostname"
                index += 1
            }
            index += 1
        }
        return rewritten
    }

    /// Boot (async): bad settings or an unreachable broker stop the application from starting.
    func didBootAsync(_ application: Application) async throws {
        try box.resolvedConfiguration().validate()
        guard Self.runsInProcessWorker(application) else { return }
        try await box.startWorker()
    }

    /// Boot (sync, as `app.testing()` does): the worker starts in the background; a failure is logged.
    func didBoot(_ application: Application) throws {
        try box.resolvedConfiguration().validate()
        guard Self.runsInProcessWorker(application) else { return }
        let box = self.box
        Task {
            do {
                try await box.startWorker()
            } catch {
                box.logger.error("the in-process Celeriac worker could not start", metadata: ["error": "\(error)"])
            }
        }
    }

    func shutdownAsync(_ application: Application) async {
        await box.close()
    }

    func shutdown(_ application: Application) {
        let box = self.box
        box.state.withLock { $0.worker?.worker }?.beginShutdown()
        Task { await box.close() }
    }

    /// Whether the command being run serves HTTP: `serve`, or no command (the default, and tests). Any other
    /// registered command (`celeriac worker`, `routes`, `migrate`, ...) runs without the in-process worker.
    static func runsInProcessWorker(_ application: Application) -> Bool {
        guard let first = application.environment.commandInput.arguments.first, !first.hasPrefix("-") else { return true }
        if first == "serve" { return true }
        let named = Set(application.asyncCommands.commands.keys).union(application.commands.commands.keys)
        return !named.contains(first)
    }
}
