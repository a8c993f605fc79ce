import Foundation

/// A worker's log as written by swift-log's `StreamLogHandler` on standard error:
/// `2026-01-01T00:00:00+0000 info celeriac.worker: args=(2, 3) celery.task.id=<id> ... [Celeriac] Task received`.
struct WorkerLog {
    /// The lines, in order.
    let lines: [Substring]

    init(text: String) {
        lines = text.split(separator: "\n")
    }

    /// The task ids of the lines whose message is `event` ("Task received", "Task succeeded",
    /// "Discarding revoked task"...), in order, repeats included.
    func taskIDs(_ event: String) -> [String] {
        lines.compactMap { line in
            guard line.hasSuffix("] \(event)") else { return nil }
            return Self.taskID(in: line)
        }
    }

    /// How many times each task id appears with `event`.
    func counts(_ event: String) -> [String: Int] {
        taskIDs(event).reduce(into: [:]) { $0[$1, default: 0] += 1 }
    }

    /// Whether a line's message is `event`.
    func contains(_ event: String) -> Bool {
        lines.contains { $0.hasSuffix("] \(event)") }
    }

    /// Whether a line's message contains `text` anywhere.
    func mentions(_ text: String) -> Bool {
        lines.contains { $0.contains(text) }
    }

    /// The value of `celery.task.id=` in a line.
    static func taskID(in line: Substring) -> String? {
        guard let range = line.range(of: " celery.task.id=") else { return nil }
        return String(line[range.upperBound...].prefix { $0 != " " })
    }
}

/// Log messages the worker writes (Worker.swift, Worker+Accept.swift, Worker+Execute.swift).
enum WorkerEvent {
    static let ready = "worker ready"
    /// Info, when a message is taken from the broker (Celery's "Received task"), before any ETA or revocation check.
    static let received = "Task received"
    /// Debug, when a task begins to run: the one to count executions with.
    static let started = "Task started"
    static let succeeded = "Task succeeded"
    static let failed = "Task failed"
    /// The start of the cold-shutdown message ("Task cancelled by cold shutdown").
    static let cancelled = "Task cancelled"
    static let discardedRevoked = "Discarding revoked task"
}
