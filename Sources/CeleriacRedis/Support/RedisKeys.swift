/// The Redis key names of kombu's Redis transport and of Celeriac's own additions, with the transport's
/// `global_keyprefix` in front of every one.
struct RedisKeys: Sendable {
    /// kombu's separator between a queue name and its priority step, and inside binding members.
    static let separator = "\u{06}\u{16}"
    /// kombu's default priority steps: a priority maps to the largest step not above it.
    static let prioritySteps = [0, 3, 6, 9]

    /// The `global_keyprefix` transport option, or an empty string.
    let prefix: String

    /// The step a Celery priority (clamped to 0...9) is stored under (`steps[bisect(steps, p) - 1]`).
    static func step(forPriority priority: Int) -> Int {
        let clamped = min(max(priority, 0), 9)
        return prioritySteps.last { $0 <= clamped } ?? 0
    }

    /// The list holding `queue`'s messages of one priority step, without the prefix (`q`, `q\x06\x163`).
    static func list(_ queue: String, step: Int) -> String {
        step == 0 ? queue : queue + separator + String(step)
    }

    /// The prefixed list holding `queue`'s messages of one priority step.
    func list(_ queue: String, step: Int) -> String { prefix + Self.list(queue, step: step) }

    /// The prefixed list for a message of `priority` in `queue`.
    func list(_ queue: String, priority: Int) -> String { list(queue, step: Self.step(forPriority: priority)) }

    /// The prefixed lists of `queue`, in consumption order (step 0 first).
    func lists(_ queue: String) -> [String] { Self.prioritySteps.map { list(queue, step: $0) } }

    /// The binding set of the exchange named after `queue` (Celery's default routing).
    func binding(_ queue: String) -> String { prefix + "_kombu.binding." + queue }
    /// The permanent-binding set kombu 5.7 adds for queues without `x-expires`.
    func bindingPermanent(_ queue: String) -> String { prefix + "_kombu.binding_permanent." + queue }
    /// The binding member `routing_key \x06\x16 pattern \x06\x16 queue`, for a direct binding of `queue` to itself.
    static func bindingMember(_ queue: String) -> String { queue + separator + separator + queue }

    /// kombu's hash of unacked messages: delivery tag → `[envelope, exchange, routing_key]`.
    var unacked: String { prefix + "unacked" }
    /// kombu's sorted set of unacked delivery tags, scored by delivery time.
    var unackedIndex: String { prefix + "unacked_index" }
    /// kombu's lock around `restore_visible`.
    var unackedMutex: String { prefix + "unacked_mutex" }

    /// Celeriac's hash of dead letters: id → JSON record.
    var deadLetters: String { prefix + "celeriac.dead_letters" }
    /// Celeriac's sorted set of dead-letter ids, scored by insertion order.
    var deadLetterIndex: String { prefix + "celeriac.dead_letters.index" }
    /// Celeriac's sorted set of revoked task ids, scored by sequence.
    var revoked: String { prefix + "celeriac.revoked" }
    /// The counter giving revocation sequence numbers.
    var revokedSequence: String { prefix + "celeriac.revoked.seq" }
}
