import Logging
import ServiceLifecycle
import UnixSignals

/// Runs services the way Celery's worker handles signals: the first SIGTERM or SIGINT starts a warm
/// (graceful) shutdown, a second one a cold shutdown (cancellation).
public enum ServiceRunner {
    /// Runs `services` until they finish, or until signals stop them.
    /// - Throws: the first error a service throws.
    public static func run(_ services: [any Service], logger: Logger) async throws {
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: services, logger: logger))
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            tasks.addTask {
                var count = 0
                for await signal in signals {
                    count += 1
                    if count == 1 {
                        logger.warning("worker: warm shutdown (\(signal)); send it again for a cold shutdown")
                        await group.triggerGracefulShutdown()
                    } else {
                        logger.warning("worker: cold shutdown (\(signal))")
                        throw CancellationError()
                    }
                }
            }
            do {
                try await tasks.next()
            } catch is CancellationError {
                // A cold shutdown: cancelling the group cancels the services.
            }
            tasks.cancelAll()
        }
    }
}
