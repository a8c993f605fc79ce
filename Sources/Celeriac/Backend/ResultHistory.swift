/// A result backend that can list the results it holds, newest first: what a dashboard reads to show the
/// task history that survived its own restarts.
///
/// Celery's backends have no such call (Flower keeps history only in memory); Celeriac's SQLite, Redis and
/// PostgreSQL backends conform.
public protocol ResultHistory: Sendable {
    /// Up to `limit` stored results, the most recently finished first (results not finished yet, without a
    /// `date_done`, come after the finished ones where the backend cannot order them).
    /// - Throws: ``CeleriacError`` when the backend fails; malformed stored results are skipped.
    func recentResults(limit: Int) async throws -> [ResultMeta]
}

extension ResultMeta {
    /// Orders results newest first by `date_done` (Celery's ISO text sorts by time), unfinished ones last.
    public static func newestFirst(_ lhs: ResultMeta, _ rhs: ResultMeta) -> Bool {
        switch (lhs.dateDone, rhs.dateDone) {
        case let (left?, right?): return left > right
        case (.some, nil): return true
        case (nil, .some): return false
        case (nil, nil): return lhs.taskID < rhs.taskID
        }
    }
}
