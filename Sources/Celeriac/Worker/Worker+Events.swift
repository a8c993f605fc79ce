import Logging

extension Worker {
    /// The dispatcher for a worker whose broker carries events, or `nil`.
    static func makeEventDispatcher(app: CeleriacApp, configuration: Configuration, logger: Logger) -> EventDispatcher? {
        guard configuration.workerEvents, let transport = app.broker as? any EventTransport else { return nil }
        return EventDispatcher(transport: transport, hostname: configuration.hostname, taskEvents: configuration.taskEvents, logger: logger)
    }

    /// Sends `worker-online`, then a heartbeat every ``CeleryEvent/heartbeatFrequency`` seconds, and publishes
    /// batched task events, until cancelled.
    func eventLoop() async {
        guard let events else { return }
        await events.sendNow(.worker("online", active: counts.active, processed: counts.processed))
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await events.run() }
            group.addTask {
                while !Task.isCancelled {
                    do { try await Task.sleep(for: .seconds(CeleryEvent.heartbeatFrequency)) } catch { return }
                    let counts = self.counts
                    await events.sendNow(.worker("heartbeat", active: counts.active, processed: counts.processed))
                }
            }
            await group.waitForAll()
        }
    }

    /// Flushes task events and sends `worker-offline`, so monitors drop the worker at once.
    func sendWorkerOffline() async {
        guard let events else { return }
        await events.flush()
        await events.sendNow(.worker("offline", active: 0, processed: counts.processed))
    }

    /// A duration in seconds, as events report run times.
    static func seconds(of duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
