import Foundation

/// When a periodic task runs: Celery's `schedule` (``IntervalSchedule``), `crontab` (``Crontab``) and
/// django-celery-beat's one-off `clocked` (``ClockedSchedule``).
///
/// A schedule only answers "after a run at `date`, when is the next one?"; ``Beat`` keeps the last run of each
/// entry and sends a task when its next time has come. Custom schedules conform the same way:
/// ```swift
/// struct EveryFullHour: Schedule {
///     func nextFire(after date: Date) -> Date? { ... }
///     var description: String { "every full hour" }
/// }
/// ```
public protocol Schedule: Sendable, CustomStringConvertible {
    /// The first time strictly after `date` at which the schedule fires, or `nil` when it never fires again.
    func nextFire(after date: Date) -> Date?

    /// The "last run" recorded for an entry the first time any beat sees it. Celery records the moment the
    /// entry is first seen (so an interval of 10 s first fires 10 s after beat starts); the default does the same.
    func initialLastRun(firstSeen now: Date) -> Date
}

extension Schedule {
    /// Celery's behaviour: an entry seen for the first time is treated as if it had just run.
    public func initialLastRun(firstSeen now: Date) -> Date { now }
}

/// Celery's `schedule(run_every=...)`: every `interval`, counted from the last run.
///
/// Unlike Celery, which counts from the moment a run was sent (so ticks drift by the loop's latency), Beat
/// counts from the scheduled tick while it keeps up, so a 1 s interval gives 60 ticks a minute, not 59.
public struct IntervalSchedule: Schedule, Hashable {
    /// The time between runs, in seconds (more than 0).
    public let seconds: Double

    /// Creates an interval schedule.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/invalidConfiguration``) when `seconds` is not a
    ///   positive finite number.
    public init(seconds: Double) throws(CeleriacError) {
        guard seconds > 0, seconds.isFinite else {
            throw CeleriacError(.invalidConfiguration, "an interval schedule needs a positive number of seconds, got \(seconds)")
        }
        self.seconds = seconds
    }

    /// Creates an interval schedule from a duration.
    /// - Throws: ``CeleriacError`` when the duration is not positive.
    public init(every interval: Duration) throws(CeleriacError) {
        let (whole, atto) = interval.components
        try self.init(seconds: Double(whole) + Double(atto) / 1e18)
    }

    /// `date` plus the interval.
    public func nextFire(after date: Date) -> Date? { date.addingTimeInterval(seconds) }

    /// Celery's repr: `<freq: 10 seconds>`.
    public var description: String {
        seconds == seconds.rounded() && seconds < 1e15 ? "<freq: \(Int(seconds)) seconds>" : "<freq: \(seconds) seconds>"
    }
}

/// A one-off schedule (django-celery-beat's `ClockedSchedule`): fires once, at `date`.
///
/// A clocked entry whose time already passed when beat first sees it runs once at start (as
/// django-celery-beat runs an enabled one-off entry), then never again.
public struct ClockedSchedule: Schedule, Hashable {
    /// When the entry runs.
    public let date: Date

    /// Creates a one-off schedule.
    public init(at date: Date) { self.date = date }

    /// ``date`` while the last run is before it, then `nil`.
    public func nextFire(after last: Date) -> Date? { last < date ? date : nil }

    /// Just before ``date`` when it already passed, so a missed one-off still runs once.
    public func initialLastRun(firstSeen now: Date) -> Date { min(now, date.addingTimeInterval(-1)) }

    /// `<clocked: 2026-12-01T00:00:00+00:00>`.
    public var description: String { "<clocked: \(CeleryTimestamp.format(date))>" }
}
