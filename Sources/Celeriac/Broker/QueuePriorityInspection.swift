/// A broker that can tell how many messages wait in each queue per priority, for dashboards.
///
/// ``Broker/queueDepths()`` gives the totals; kombu's Redis transport keeps one list per priority step
/// (0, 3, 6, 9), which this breaks the totals down into.
public protocol QueuePriorityInspection: Sendable {
    /// The waiting messages per queue, per priority step (the lowest Celery priority the step holds).
    /// - Throws: ``CeleriacError`` when the broker fails.
    func queueDepthsByPriority() async throws -> [String: [Int: Int]]
}
