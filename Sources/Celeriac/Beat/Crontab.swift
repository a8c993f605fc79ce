import Foundation

/// Celery's `crontab` schedule: fires at each minute whose minute, hour, day of week, day of month and month
/// all match, in a time zone.
///
/// ```swift
/// let nightly = try Crontab(minute: "30", hour: "3", dayOfWeek: "mon-fri", timeZone: TimeZone(identifier: "Asia/Seoul")!)
/// let quarterly = try Crontab("*/15 * * * *")          // Celery's crontab.from_string: m h dom mon dow
/// ```
/// Fields use Celery's syntax (see `celery.schedules.crontab_parser`): `*`, `*/15`, `1-5`, `1,2,3`, `mon-fri`,
/// `1-10/2`; day of week 0 is Sunday. As in Celery (and unlike cron), a day must match both the day of month
/// and the day of week.
///
/// Times are wall-clock times in ``timeZone``: across a daylight saving change, a time that does not exist
/// (02:30 when clocks jump from 02:00 to 03:00) fires at the same offset past the jump (03:30), as Celery
/// does; a time that exists twice fires once, at its first occurrence. Celery can compute a next time that
/// lies before the last run when the last run fell in the repeated hour; ``nextFire(after:)`` never does.
public struct Crontab: Schedule, Hashable {
    let minutes: CrontabField
    let hours: CrontabField
    let daysOfWeek: CrontabField
    let daysOfMonth: CrontabField
    let months: CrontabField
    /// The zone the fields are read in.
    public let timeZone: TimeZone

    /// Creates a crontab from Celery's five fields.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/invalidConfiguration``) naming the bad field, or
    ///   when no month has the days asked for (`day_of_month="31", month_of_year="feb"`).
    public init(
        minute: String = "*", hour: String = "*", dayOfWeek: String = "*", dayOfMonth: String = "*", monthOfYear: String = "*",
        timeZone: TimeZone = TimeZone(identifier: "UTC") ?? .current
    ) throws(CeleriacError) {
        minutes = try CrontabField(minute, .minute)
        hours = try CrontabField(hour, .hour)
        daysOfWeek = try CrontabField(dayOfWeek, .dayOfWeek)
        daysOfMonth = try CrontabField(dayOfMonth, .dayOfMonth)
        months = try CrontabField(monthOfYear, .monthOfYear)
        self.timeZone = timeZone
        let daysIn = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard months.values.contains(where: { month in daysOfMonth.values.contains { $0 <= daysIn[month] } }) else {
            throw CeleriacError(
                .invalidConfiguration,
                "crontab: day_of_month \"\(dayOfMonth)\" never falls in month_of_year \"\(monthOfYear)\", so it would never run")
        }
    }

    /// Creates a crontab from a cron line, `minute hour day_of_month month_of_year day_of_week` (Celery's
    /// `crontab.from_string`).
    /// - Throws: ``CeleriacError`` when the line does not have five fields or a field is bad.
    public init(_ expression: String, timeZone: TimeZone = TimeZone(identifier: "UTC") ?? .current) throws(CeleriacError) {
        let fields = expression.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw CeleriacError(
                .invalidConfiguration,
                "crontab \"\(expression)\": expected 5 fields (minute hour day_of_month month_of_year day_of_week), got \(fields.count)")
        }
        try self.init(minute: fields[0], hour: fields[1], dayOfWeek: fields[4], dayOfMonth: fields[2], monthOfYear: fields[3], timeZone: timeZone)
    }

    /// The fields as written.
    public var minute: String { minutes.spec }
    /// The hour field as written.
    public var hour: String { hours.spec }
    /// The day-of-week field as written.
    public var dayOfWeek: String { daysOfWeek.spec }
    /// The day-of-month field as written.
    public var dayOfMonth: String { daysOfMonth.spec }
    /// The month field as written.
    public var monthOfYear: String { months.spec }

    /// Celery's repr: `<crontab: 0 3 * * mon-fri (m/h/dM/MY/d) Asia/Seoul>`.
    public var description: String {
        "<crontab: \(minute) \(hour) \(dayOfMonth) \(monthOfYear) \(dayOfWeek) (m/h/dM/MY/d) \(timeZone.identifier)>"
    }

    /// Whether a wall-clock time matches every field.
    func matches(_ wall: WallClock.Fields) -> Bool {
        months.contains(wall.month) && daysOfMonth.contains(wall.day) && daysOfWeek.contains(wall.weekday) && hours.contains(wall.hour)
            && minutes.contains(wall.minute)
    }

    /// The first matching minute after `date`: wall-clock minutes after the one `date` falls in, resolved to
    /// an instant in ``timeZone`` that is later than `date`. `nil` only if nothing matches within 8 years.
    public func nextFire(after date: Date) -> Date? {
        let clock = WallClock(timeZone: timeZone)
        let lastWall = clock.wallSeconds(of: date)
        var minute = Int64((lastWall / 60).rounded(.down)) + 1
        let limit = minute + 8 * 366 * 24 * 60
        while minute < limit {
            let fields = WallClock.fields(ofMinute: minute)
            if !months.contains(fields.month) {
                minute = WallClock.firstMinuteOfNextMonth(fields)
                continue
            }
            if !daysOfMonth.contains(fields.day) || !daysOfWeek.contains(fields.weekday) {
                minute = (minute / 1440 + 1) * 1440
                continue
            }
            if !hours.contains(fields.hour) {
                minute = (minute / 60 + 1) * 60
                continue
            }
            guard let next = minutes.values.first(where: { $0 >= fields.minute }) else {
                minute = (minute / 60 + 1) * 60
                continue
            }
            minute += Int64(next - fields.minute)
            if let instant = clock.instant(wallSeconds: Double(minute * 60), after: date) { return instant }
            minute += 1
        }
        return nil
    }
}
