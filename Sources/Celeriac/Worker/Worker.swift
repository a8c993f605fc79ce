import Logging
import ServiceLifecycle
import Synchronization

/// A Celery worker: takes task messages from the broker's queues, runs the registered tasks and stores
/// their results, with Celery's semantics for acknowledgement, retries, ETA, expiry, revocation, rate and
/// time limits.
///
/// A worker is a `Service`: run it in a `ServiceGroup`. The first graceful shutdown (SIGTERM/SIGINT)
/// stops taking messages, gives back those reserved but not started, and lets running tasks finish
/// within ``Configuration/shutdownGracePeriod``; cancellation (the second signal) stops at once, giving
/// back the messages of acks-late tasks still running so another worker runs them.
///
/// Bad input never stops a worker: a malformed message, an unknown task or wrong arguments is logged with
/// its message id and queue, gets a FAILURE result when its task id is known, and goes to the broker's
/// dead-letter store (see ``DeadLetterStore``).
public final class Worker: Service, Sendable {
    /// The app whose broker, backend and tasks the worker uses.
    public let app: CeleriacApp
    /// How the worker runs.
    public let configuration: Configuration
    let logger: Logger
    let window: PrefetchWindow
    let ready = WorkQueue<Reserved>()
    let rateLimiter = RateLimiter()
    let acks = AckBuffer()
    let revoked = Mutex<Set<String>>([])
    let revokedSequence = Atomic<Int64>(0)
    let etaHeld = Atomic<Int>(0)
    let stopping = Atomic<Bool>(false)
    let pendingReceive = Mutex<Task<[Delivery], any Error>?>(nil)
    let counters = Mutex(Counters())
    let metrics: WorkerMetrics
    /// Sends Celery events (worker heartbeats always, task events with ``Configuration/taskEvents``), when the
    /// broker carries them.
    public let events: EventDispatcher?
    /// What remote control reads and changes.
    let control: WorkerControlState

    /// A message accepted for running.
    struct Reserved: Sendable {
        var delivery: Delivery
        var message: TaskMessage
        var task: RegisteredTask
    }

    /// What the worker has done, for `stats` and logs.
    public struct Counters: Sendable, Hashable {
        /// Tasks run to an end (any state).
        public var processed = 0
        /// Tasks running now.
        public var active = 0
        /// Tasks that succeeded.
        public var succeeded = 0
        /// Tasks that failed.
        public var failed = 0
        /// Tasks retried.
        public var retried = 0
        /// Messages dead-lettered.
        public var deadLettered = 0
        /// Tasks discarded as revoked or expired.
        public var revoked = 0
    }

    /// Creates a worker.
    /// - Parameters:
    ///   - app: the app with the broker, backend and registered tasks.
    ///   - configuration: how the worker runs.
    ///   - logger: the worker's logger.
    public init(app: CeleriacApp, configuration: Configuration = Configuration(), logger: Logger) {
        self.app = app
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: LogKeys.worker] = "\(configuration.hostname)"
        self.logger = logger
        self.window = PrefetchWindow(limit: configuration.window)
        self.metrics = WorkerMetrics()
        self.events = Self.makeEventDispatcher(app: app, configuration: configuration, logger: logger)
        self.control = WorkerControlState(queues: configuration.queues, concurrency: configuration.concurrency)
        BuiltinTasks.register(in: app)
    }

    /// A snapshot of the worker's counters.
    public var counts: Counters { counters.withLock { $0 } }

    /// Runs the worker until graceful shutdown or cancellation.
    public func run() async throws {
        logger.info("worker ready", metadata: [
            "queues": "\(configuration.queues.joined(separator: ","))", "concurrency": "\(configuration.concurrency)",
            "tasks": "\(app.registry.names.joined(separator: ", "))",
        ])
        for name in app.registry.names {
            if let text = app.registry.task(named: name)?.options.rateLimit, (try? RateLimit(text)) == nil {
                logger.error("invalid rate limit ignored", metadata: [LogKeys.taskName: "\(name)", "rate_limit": "\(text)"])
            }
        }
        await refreshRevoked()
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { background in
                background.addTask { await self.leaseLoop() }
                background.addTask { await self.revocationLoop() }
                background.addTask { await self.ackLoop() }
                background.addTask { await self.resultCleanupLoop() }
                background.addTask { await self.eventLoop() }
                background.addTask { await self.controlLoop() }
                await self.consumeAndRun()
                background.cancelAll()
            }
        } onGracefulShutdown: {
            self.beginShutdown()
        }
        await cleanup { try await self.flushAcks() }
        let leftover = control.held.withLock { held in
            let left = Array(held.keys)
            held.removeAll()
            return left
        }
        if !leftover.isEmpty {
            logger.info("giving back unfinished messages", metadata: ["count": "\(leftover.count)"])
            await cleanup { try await self.app.broker.giveBack(leftover) }
        }
        await sendWorkerOffline()
        logger.info("worker stopped", metadata: ["processed": "\(counts.processed)"])
    }

    /// Starts a warm shutdown: no more messages are taken.
    public func beginShutdown() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        logger.info("warm shutdown: no new messages; waiting for running tasks")
        window.wake()
        pendingReceive.withLock { $0?.cancel() }
    }

    /// Receives from the broker in a task that a warm shutdown can cancel, so an idle worker stops at once
    /// instead of waiting out the receive timeout.
    private func receiveInterruptibly(limit: Int) async throws -> [Delivery] {
        let broker = app.broker
        let queues = control.queues.withLock { $0 }
        let timeout = configuration.receiveTimeout
        // Unstructured so beginShutdown() can cancel just this receive; cancellation of the worker itself
        // is forwarded below.
        let receive = Task { try await broker.receive(from: queues, limit: limit, timeout: timeout) }
        pendingReceive.withLock { $0 = receive }
        if stopping.load(ordering: .acquiring) { receive.cancel() }
        defer { pendingReceive.withLock { $0 = nil } }
        return try await withTaskCancellationHandler {
            try await receive.value
        } onCancel: {
            receive.cancel()
        }
    }

    /// Takes messages and runs them until shutdown, then waits for running tasks within the grace period.
    private func consumeAndRun() async {
        await withTaskGroup(of: RunnerEnd.self) { runners in
            // The pool (Worker+Pool.swift): its size can change at run time (pool_grow/shrink, autoscale).
            runners.addTask {
                await self.runPool()
                return .poolFinished
            }
            await withDiscardingTaskGroup { timers in
                await consumeLoop(timers: &timers)
                timers.cancelAll()
            }
            // Reserved messages that have not started go back to the front of their queues.
            ready.close()
            let unstarted = ready.drain()
            if !unstarted.isEmpty {
                await giveBack(unstarted.map(\.delivery))
            }
            let grace = configuration.shutdownGracePeriod
            runners.addTask {
                do {
                    try await Task.sleep(for: grace)
                    return .graceExpired
                } catch {
                    return .graceInterrupted
                }
            }
            // Say why running tasks are cut off: the worker's own cancellation (cold shutdown, the second
            // signal) or the grace period running out; nothing when they all finished in time.
            var coldLogged = false
            func logColdShutdown() {
                guard !coldLogged, Task.isCancelled else { return }
                coldLogged = true
                logger.warning("cold shutdown: cancelling running tasks")
            }
            logColdShutdown()
            var finished = false
            while let end = await runners.next() {
                logColdShutdown()
                switch end {
                case .poolFinished:
                    finished = true
                    runners.cancelAll()
                case .graceExpired where !finished && !coldLogged:
                    logger.warning("grace period over: cancelling running tasks", metadata: ["grace_period": "\(grace)", "running": "\(counts.active)"])
                    runners.cancelAll()
                case .graceExpired, .graceInterrupted:
                    runners.cancelAll()
                }
            }
        }
    }

    /// How a child of ``consumeAndRun()``'s shutdown wait ended.
    private enum RunnerEnd: Sendable {
        /// The pool ended: every running task is done.
        case poolFinished
        /// The grace period passed with tasks still running.
        case graceExpired
        /// The grace period's wait was cut short (the pool finished first, or the worker was cancelled).
        case graceInterrupted
    }

    /// Receives messages while the prefetch window has room.
    private func consumeLoop(timers: inout DiscardingTaskGroup) async {
        var failures = 0
        while !stopping.load(ordering: .acquiring) && !Task.isCancelled {
            let free = window.free
            if free == 0 {
                await window.waitForRoom()
                continue
            }
            let deliveries: [Delivery]
            do {
                deliveries = try await receiveInterruptibly(limit: min(free, 512))
                failures = 0
            } catch {
                if Task.isCancelled || stopping.load(ordering: .acquiring) { break }
                failures += 1
                let wait = min(30.0, 0.1 * Double(1 << min(failures, 8)))
                logger.error("receiving from the broker failed; retrying", metadata: [LogKeys.error: "\(error)", "retry_in": "\(wait)s"])
                try? await Task.sleep(for: .seconds(wait))
                continue
            }
            guard !deliveries.isEmpty else { continue }
            window.take(deliveries.count)
            control.held.withLock { held in for delivery in deliveries { held.updateValue(nil, forKey: delivery.tag) } }
            if stopping.load(ordering: .acquiring) || Task.isCancelled {
                await giveBack(deliveries)
                break
            }
            for delivery in deliveries {
                accept(delivery, timers: &timers)
            }
        }
    }
}
