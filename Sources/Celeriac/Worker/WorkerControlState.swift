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
    /// The queues consumed now (`add_consumer`, `cancel_consumer`).
    let queues: Mutex<[String]>

    init(queues: [String]) {
        self.queues = Mutex(queues)
    }
}
