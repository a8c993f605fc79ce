import Synchronization
import Foundation
import Logging

extension Worker {
    /// Acknowledges a delivery: queued for the next ack batch, released from the prefetch window.
    func finish(_ delivery: Delivery) {
        let removed = control.held.withLock { $0.removeValue(forKey: delivery.tag) != nil }
        guard removed else { return }
        acks.append(delivery.tag)
        window.release(1)
    }

    /// Gives deliveries back to the front of their queues (not started, or cancelled acks-late tasks).
    func giveBack(_ deliveries: [Delivery]) async {
        let tags = control.held.withLock { held in deliveries.compactMap { held.removeValue(forKey: $0.tag) != nil ? $0.tag : nil } }
        guard !tags.isEmpty else { return }
        window.release(tags.count)
        await cleanup { try await self.app.broker.giveBack(tags) }
    }

    /// Runs broker work that must complete even when the caller is being cancelled (shutdown), logging
    /// failures instead of throwing.
    func cleanup(_ work: @escaping @Sendable () async throws -> Void) async {
        // Unstructured on purpose: it does not inherit the caller's cancellation, so giving messages back
        // and flushing acks still happen during a cold shutdown.
        let result = await Task { () -> (any Error)? in
            do {
                try await work()
                return nil
            } catch {
                return error
            }
        }.value
        if let result {
            logger.error("broker operation failed during cleanup", metadata: [LogKeys.error: "\(result)"])
        }
    }

    /// Sends all pending acknowledgements.
    func flushAcks() async throws {
        let tags = acks.take()
        guard !tags.isEmpty else { return }
        try await app.broker.ack(tags)
    }

    /// Flushes acknowledgements as they come, in batches.
    func ackLoop() async {
        while !Task.isCancelled {
            await acks.waitForTags()
            // A moment's grace lets a busy worker's acks pile up into one broker transaction; the window
            // was already released, so this delays nothing but the broker's bookkeeping.
            if acks.count < 64 { try? await Task.sleep(for: .milliseconds(2)) }
            let tags = acks.take()
            guard !tags.isEmpty else { continue }
            var attempt = 0
            while true {
                do {
                    try await app.broker.ack(tags)
                    break
                } catch {
                    attempt += 1
                    logger.error("acknowledging failed; retrying", metadata: [LogKeys.error: "\(error)", "count": "\(tags.count)"])
                    if attempt > 5 || Task.isCancelled {
                        await cleanup { try await self.app.broker.ack(tags) }
                        break
                    }
                    try? await Task.sleep(for: .milliseconds(100 * attempt))
                }
            }
        }
    }

    /// Extends the leases of every held message, so none is redelivered while this worker lives.
    func leaseLoop() async {
        let visibility = app.configuration.brokerTransportOptions.visibilityTimeout
        let interval = configuration.leaseRenewInterval ?? .seconds(min(60, max(0.2, visibility / 4)))
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            let tags = control.held.withLock { Array($0.keys) }
            guard !tags.isEmpty else { continue }
            do {
                try await app.broker.extendLeases(tags)
            } catch {
                logger.error("extending message leases failed", metadata: [LogKeys.error: "\(error)", "count": "\(tags.count)"])
            }
        }
    }

    /// Keeps the revoked set current.
    func revocationLoop() async {
        guard app.broker is any RevocationStore else { return }
        while !Task.isCancelled {
            do { try await Task.sleep(for: configuration.revocationRefreshInterval) } catch { return }
            await refreshRevoked()
        }
    }

    /// Deletes expired results at start and then hourly (Celery runs `celery.backend_cleanup` daily from beat;
    /// with the embedded backend the workers do it).
    func resultCleanupLoop() async {
        guard let backend = app.backend else { return }
        while !Task.isCancelled {
            do {
                let deleted = try await backend.deleteExpired()
                if deleted > 0 { logger.info("deleted expired results", metadata: ["count": "\(deleted)"]) }
            } catch {
                logger.error("deleting expired results failed", metadata: [LogKeys.error: "\(error)"])
            }
            do { try await Task.sleep(for: .seconds(3600)) } catch { return }
        }
    }
}
