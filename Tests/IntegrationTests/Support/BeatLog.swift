import Foundation
import Testing

/// What the beat replicas of a test logged: one "Scheduler: Sending due task" line per publish attempt, with
/// the tick (`beat.tick=<ms>`), the task id and whether it re-sent a claimed tick.
struct BeatSend: Hashable {
    var tick: Int64
    var taskID: String
    var resend: Bool
}

enum BeatLog {
    /// The log line that says a beat holds the lease.
    static let acquired = "beat: acquired the lease; this beat sends"

    /// The sends in one process's standard error.
    static func sends(_ text: String) -> [BeatSend] {
        text.split(separator: "\n").compactMap { line -> BeatSend? in
            guard line.contains("Scheduler: Sending due task") else { return nil }
            guard let tick = value("beat.tick", in: line).flatMap({ Int64($0) }), let id = value("celery.task.id", in: line) else { return nil }
            return BeatSend(tick: tick, taskID: id, resend: value("beat.resend", in: line) == "true")
        }
    }

    private static func value(_ key: String, in line: Substring) -> String? {
        guard let range = line.range(of: " \(key)=") else { return nil }
        let rest = line[range.upperBound...]
        return String(rest.prefix { $0 != " " })
    }

    /// Checks a two-replica run: every tick sent once, the queue holds exactly one message per tick, ticks a
    /// second apart, and about as many as the run lasted.
    /// - Parameters:
    ///   - logs: the replicas' standard error.
    ///   - queued: the task ids found in the queue.
    ///   - minimum: the fewest ticks the run's length allows.
    static func check(logs: [String], queued: [String], minimum: Int, maximum: Int, context: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let sends = logs.flatMap(sends)
        let byTick = Dictionary(grouping: sends, by: \.tick)
        let ticks = byTick.keys.sorted()
        #expect(Set(queued).count == queued.count, "a task id is in the queue twice: \(queued)\n\(context)", sourceLocation: sourceLocation)
        #expect(queued.count == ticks.count, "exactly one message per tick: \(queued.count) messages for \(ticks.count) ticks\n\(context)", sourceLocation: sourceLocation)
        #expect(Set(queued) == Set(sends.map(\.taskID)), "the queue holds exactly the ticks' task ids\n\(context)", sourceLocation: sourceLocation)
        for (tick, attempts) in byTick where Set(attempts.map(\.taskID)).count != 1 {
            Issue.record("tick \(tick) was sent under several task ids: \(attempts)\n\(context)", sourceLocation: sourceLocation)
        }
        for (earlier, later) in zip(ticks, ticks.dropFirst()) where later - earlier < 1000 {
            Issue.record("ticks \(earlier) and \(later) are less than the 1 s interval apart\n\(context)", sourceLocation: sourceLocation)
        }
        #expect(ticks.count >= minimum && ticks.count <= maximum, "\(ticks.count) ticks, expected \(minimum)...\(maximum)\n\(context)", sourceLocation: sourceLocation)
    }
}
