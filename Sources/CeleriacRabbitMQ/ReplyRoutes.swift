import CeleriacAMQP

/// The broker's bookkeeping for the `rpc://` result backend: where the results of received tasks go, and which
/// reply queue each sent task's results come back to. Both maps are bounded (oldest entries go first), so tasks
/// whose results are never stored or read cost nothing in the long run.
struct ReplyRoutes: Sendable {
    /// Where a received task's states are published: its `reply_to` and `correlation_id` properties.
    struct Route: Sendable, Hashable {
        var replyTo: String
        var correlationID: String?
    }

    /// The most entries each map keeps.
    static let capacity = 100_000

    /// Task id → route, from received task messages.
    private(set) var received = BoundedMap<String, Route>(capacity: capacity)
    /// `reply_to` values seen on received messages: a message published with one of those (a retry, a chain step)
    /// forwards another client's reply queue, which is not ours to declare.
    private(set) var forwarded = BoundedMap<String, Bool>(capacity: capacity)
    /// Task id → reply queue, from published task messages.
    private(set) var sent = BoundedMap<String, String>(capacity: capacity)
    /// The arguments reply queues are declared with, set when an ``RPCResultBackend`` uses this broker; `nil`
    /// means no rpc backend, so nothing is declared.
    var queueArguments: AMQPTable?

    /// Records a received task message's route.
    mutating func received(taskID: String, replyTo: String, correlationID: String?) {
        received[taskID] = Route(replyTo: replyTo, correlationID: correlationID)
        forwarded[replyTo] = true
    }

    /// Records a published task message's reply queue.
    mutating func sent(taskID: String, replyTo: String) {
        sent[taskID] = replyTo
    }

    /// Reply queues this process published fresh tasks with before it received any message carrying them: its
    /// own, even when its worker later receives those tasks (client and worker in one process).
    private(set) var own = BoundedMap<String, Bool>(capacity: 1_000)

    /// Whether `replyTo` is this process's own reply queue (recording it as such when it was never seen on a
    /// received message), rather than another client's forwarded by a retry or a chain step.
    mutating func isOwn(_ replyTo: String) -> Bool {
        if own[replyTo] != nil { return true }
        guard forwarded[replyTo] == nil else { return false }
        own[replyTo] = true
        return true
    }

    /// Forgets a task.
    mutating func forget(taskID: String) {
        received[taskID] = nil
        sent[taskID] = nil
    }
}

/// A dictionary that keeps at most `capacity` keys, dropping the oldest inserted first.
struct BoundedMap<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    let capacity: Int
    private var values: [Key: Value] = [:]
    private var order: [Key] = []
    private var head = 0

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// The number of keys.
    var count: Int { values.count }

    subscript(key: Key) -> Value? {
        get { values[key] }
        set {
            guard let newValue else {
                values[key] = nil
                return
            }
            if values.updateValue(newValue, forKey: key) == nil { order.append(key) }
            while values.count > capacity, head < order.count {
                values[order[head]] = nil
                head += 1
            }
            // Compact the order list once it is mostly stale (removed, evicted or re-added keys): keep each live
            // key once, at its latest position.
            if head > capacity || order.count > 2 * capacity {
                var seen = Set<Key>()
                var kept: [Key] = []
                for key in order[head...].reversed() where values[key] != nil && seen.insert(key).inserted { kept.append(key) }
                order = kept.reversed()
                head = 0
            }
        }
    }
}
