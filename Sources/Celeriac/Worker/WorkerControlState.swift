import Foundation
import Synchronization

/// What remote control reads and changes in a running worker: the tasks it runs and holds, per-task counts,
/// rate and time limits set at run time, the queues it consumes, and tasks terminated by `revoke`.
final class WorkerControlState: Sendable {
    /// A task running now, for `inspect active` and `revoke(terminate=True)`. Its request info is rendered only
    /// when someone inspects, not for every task run.
    struct Active: Sendable {
        var message: TaskMessage
        var delivery: Delivery
        var timeStart: Double
        var acknowledged: Bool
        var cancel: @Sendable () -> Void
    }

    /// When the worker started, for `stats.uptime`.
    let startedAt = Date()
    let active = Mutex<[String: Active]>([:])
    /// Messages held for their ETA, by task id.
    let scheduled = Mutex<[String: (message: TaskMessage, delivery: Delivery)]>([:])
    /// Tasks started, by name (`stats.total`).
    let totals = Mutex<[String: Int]>([:])
    /// Rate limits set with `rate_limit`, by task name; `""` removes the limit.
    let rateLimits = Mutex<[String: String]>([:])
    /// Time limits set with `time_limit`, by task name.
    let timeLimits = Mutex<[String: (soft: Double?, hard: Double?)]>([:])
    /// Ids revoked with `terminate`: their cancellation ends in REVOKED, not a cold-shutdown give-back.
    let terminated = Mutex<Set<String>>([])
    /// Every delivery this worker holds, by tag, from its receive until it is acked or given back: the leases
    /// the worker extends, and what a shutdown gives back. The value is the decoded message once the worker has
    /// accepted it (held for an ETA or a rate-limit token, prefetched in the ready queue, or running acks-late),
    /// `nil` before: a revocation marks the accepted ones REVOKED at once, as Celery's `_revoke` does for the
    /// requests it holds.
    let held = Mutex<[DeliveryTag: TaskMessage?]>([:])
    /// Task ids whose run has begun (Celery's `active_requests`), with how many runs of each: a revocation
    /// leaves their state to the run. Counted, since a redelivered duplicate may run beside the first.
    let executing = Mutex<[String: Int]>([:])
    /// The ETA timers of held messages, by delivery tag: waking one makes a revoked message be discarded at
    /// once instead of when its ETA comes.
    let etaWakers = Mutex<[DeliveryTag: (id: String, wake: @Sendable () -> Void)]>([:])
    /// The queues consumed now (`add_consumer`, `cancel_consumer`).
    let queues: Mutex<[String]>
    /// The pool's size now and its autoscale range (`pool_grow`, `pool_shrink`, `autoscale`).
    let pool: Mutex<Pool>

    /// The pool: how many tasks run at once, and the autoscaler's range once `autoscale` set one.
    struct Pool: Sendable {
        /// Tasks run at once now.
        var size: Int
        /// The autoscale range, or `nil` when the size only changes with `pool_grow`/`pool_shrink`.
        var autoscale: (max: Int, min: Int)?
        /// When the autoscaler last grew the pool (it shrinks only after a quiet keepalive).
        var lastScaleUp: ContinuousClock.Instant?
        /// Tasks running plus waiting, as the autoscaler last counted them.
        var demand = 0
    }

    init(queues: [String], concurrency: Int = 1) {
        self.queues = Mutex(queues)
        self.pool = Mutex(Pool(size: max(1, concurrency)))
    }
}
