import Celeriac
import Foundation
import Testing

/// A UTC or named zone, failing the test when unknown.
func zone(_ identifier: String) throws -> TimeZone {
    try #require(TimeZone(identifier: identifier), "time zone \(identifier) is not known on this machine")
}

/// An instant from an ISO 8601 text with an offset.
func instant(_ text: String) throws -> Date {
    try #require(CeleryTimestamp.parse(text), "bad timestamp \(text)")
}

/// An instant as ISO 8601 in `zone` (for readable failures).
func local(_ date: Date?, _ zone: TimeZone) -> String {
    guard let date else { return "nil" }
    return CeleryTimestamp.format(date, utcOffsetSeconds: zone.secondsFromGMT(for: date))
}

@Suite struct CrontabParsingTests {
    @Test func expandsCelerysSyntax() throws {
        let cron = try Crontab(minute: "*/15", hour: "1-5", dayOfWeek: "mon-fri", dayOfMonth: "1,15,31", monthOfYear: "*/2")
        #expect(cron.minute == "*/15")
        #expect(try Crontab(minute: "1-10/3").nextFire(after: instant("2026-01-01T00:00:00+00:00")) == instant("2026-01-01T00:01:00+00:00"))
        // Ranges wrap around the end as in Celery: fri-mon is Friday, Saturday, Sunday, Monday.
        let weekend = try Crontab(minute: "0", hour: "0", dayOfWeek: "fri-mon")
        // 2026-01-01 is a Thursday.
        #expect(try weekend.nextFire(after: instant("2026-01-01T12:00:00+00:00")) == instant("2026-01-02T00:00:00+00:00"))
        #expect(try weekend.nextFire(after: instant("2026-01-05T12:00:00+00:00")) == instant("2026-01-09T00:00:00+00:00"))
        // Day of week 0 is Sunday; names by their first three letters, any case.
        let sunday = try Crontab(minute: "0", hour: "0", dayOfWeek: "0")
        #expect(try sunday.nextFire(after: instant("2026-01-01T00:00:00+00:00")) == instant("2026-01-04T00:00:00+00:00"))
        #expect(try Crontab(minute: "0", hour: "0", dayOfWeek: "Sunday").nextFire(after: instant("2026-01-01T00:00:00+00:00")) == instant("2026-01-04T00:00:00+00:00"))
        #expect(try Crontab(minute: "0", hour: "0", dayOfMonth: "1", monthOfYear: "mar").nextFire(after: instant("2026-01-01T00:00:00+00:00")) == instant("2026-03-01T00:00:00+00:00"))
        // crontab.from_string: minute hour day_of_month month_of_year day_of_week.
        let line = try Crontab("30 4 1 * mon")
        #expect(line.minute == "30" && line.hour == "4" && line.dayOfMonth == "1" && line.monthOfYear == "*" && line.dayOfWeek == "mon")
    }

    @Test(arguments: [
        ("minute", "60", "out of range 0-59"),
        ("hour", "24", "out of range 0-23"),
        ("day_of_week", "7", "out of range 0-6"),
        ("day_of_month", "0", "out of range 1-31"),
        ("month_of_year", "13", "out of range 1-12"),
        ("minute", "-5", "negative numbers"),
        ("minute", "*/0", "positive whole number"),
        ("minute", "*/", "empty step"),
        ("minute", "1,,2", "empty part"),
        ("day_of_week", "funday", "not a number, a weekday"),
        ("minute", "5/15", "a step needs"),
        ("hour", "1-", "numbers on both sides"),
    ])
    func rejectsBadFieldsClearly(field: String, spec: String, problem: String) throws {
        let error = #expect(throws: CeleriacError.self) {
            switch field {
            case "minute": _ = try Crontab(minute: spec)
            case "hour": _ = try Crontab(hour: spec)
            case "day_of_week": _ = try Crontab(dayOfWeek: spec)
            case "day_of_month": _ = try Crontab(dayOfMonth: spec)
            default: _ = try Crontab(monthOfYear: spec)
            }
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("crontab \(field) \"\(spec)\"") == true, "\(String(describing: error))")
        #expect(error?.message.contains(problem) == true, "\(String(describing: error))")
    }

    @Test func rejectsImpossibleDatesAndBadLines() {
        let impossible = #expect(throws: CeleriacError.self) { try Crontab(dayOfMonth: "30-31", monthOfYear: "feb") }
        #expect(impossible?.message.contains("never") == true)
        #expect(throws: CeleriacError.self) { try Crontab(dayOfMonth: "31", monthOfYear: "2,4,6") }
        #expect((try? Crontab(dayOfMonth: "29", monthOfYear: "2")) != nil)  // Celery allows Feb 29 (leap years)
        let short = #expect(throws: CeleriacError.self) { try Crontab("* * *") }
        #expect(short?.message.contains("expected 5 fields") == true)
    }
}

@Suite struct CrontabNextFireTests {
    @Test func everyMinuteAndQuarterHour() throws {
        let utc = try zone("UTC")
        let every = try Crontab(timeZone: utc)
        #expect(try every.nextFire(after: instant("2026-05-05T10:00:00+00:00")) == instant("2026-05-05T10:01:00+00:00"))
        #expect(try every.nextFire(after: instant("2026-05-05T10:00:59.9+00:00")) == instant("2026-05-05T10:01:00+00:00"))
        let quarter = try Crontab(minute: "*/15", timeZone: utc)
        #expect(try quarter.nextFire(after: instant("2026-05-05T10:00:00+00:00")) == instant("2026-05-05T10:15:00+00:00"))
        #expect(try quarter.nextFire(after: instant("2026-05-05T23:50:00+00:00")) == instant("2026-05-06T00:00:00+00:00"))
        #expect(try quarter.nextFire(after: instant("2026-12-31T23:59:00+00:00")) == instant("2027-01-01T00:00:00+00:00"))
    }

    @Test func leapDayAndDayOfWeekAndMonthTogether() throws {
        let leap = try Crontab(minute: "0", hour: "0", dayOfMonth: "29", monthOfYear: "2")
        #expect(try leap.nextFire(after: instant("2026-03-01T00:00:00+00:00")) == instant("2028-02-29T00:00:00+00:00"))
        // Celery requires both the day of month and the day of week: Friday the 13th.
        let friday13 = try Crontab(minute: "0", hour: "12", dayOfWeek: "fri", dayOfMonth: "13")
        #expect(try friday13.nextFire(after: instant("2026-01-01T00:00:00+00:00")) == instant("2026-02-13T12:00:00+00:00"))
    }

    @Test func readsFieldsInAsiaSeoul() throws {
        let seoul = try zone("Asia/Seoul")  // UTC+9, no daylight saving
        let nine = try Crontab(minute: "0", hour: "9", dayOfWeek: "mon-fri", timeZone: seoul)
        // Friday 2026-01-02 10:00 in Seoul: the next weekday 09:00 in Seoul is Monday 2026-01-05 09:00+09:00.
        let next = nine.nextFire(after: try instant("2026-01-02T10:00:00+09:00"))
        #expect(next == (try instant("2026-01-05T00:00:00+00:00")), "\(local(next, seoul))")
        // Midnight in Seoul is 15:00 UTC the day before.
        let midnight = try Crontab(minute: "0", hour: "0", timeZone: seoul)
        #expect(try midnight.nextFire(after: instant("2026-06-01T14:59:00+00:00")) == instant("2026-06-01T15:00:00+00:00"))
    }

    @Test func springForwardRunsAMissingTimeAfterTheJump() throws {
        let newYork = try zone("America/New_York")  // 2026-03-08 02:00 EST -> 03:00 EDT
        let daily = try Crontab(minute: "30", hour: "2", timeZone: newYork)
        let next = daily.nextFire(after: try instant("2026-03-07T02:30:00-05:00"))
        #expect(next == (try instant("2026-03-08T03:30:00-04:00")), "Celery (zoneinfo fold=0) runs 02:30 as 03:30: \(local(next, newYork))")
        // The day after, back to 02:30 EDT.
        #expect(try daily.nextFire(after: instant("2026-03-08T03:30:00-04:00")) == instant("2026-03-09T02:30:00-04:00"))
        // Hourly at :00 across the jump: 01:00 EST then 03:00 EDT, one hour of real time.
        let hourly = try Crontab(minute: "0", timeZone: newYork)
        #expect(try hourly.nextFire(after: instant("2026-03-08T01:00:00-05:00")) == instant("2026-03-08T03:00:00-04:00"))
    }

    @Test func fallBackRunsARepeatedTimeOnce() throws {
        let newYork = try zone("America/New_York")  // 2026-11-01 02:00 EDT -> 01:00 EST
        let daily = try Crontab(minute: "30", hour: "1", timeZone: newYork)
        let first = daily.nextFire(after: try instant("2026-10-31T01:30:00-04:00"))
        #expect(first == (try instant("2026-11-01T01:30:00-04:00")), "the first 01:30: \(local(first, newYork))")
        let second = first.flatMap { daily.nextFire(after: $0) }
        #expect(second == (try instant("2026-11-02T01:30:00-05:00")), "not again at 01:30 EST: \(local(second, newYork))")
        // A run in the repeated hour (01:50 EDT) continues on the wall clock: 02:00 EST, as Celery does.
        let quarter = try Crontab(minute: "*/15", timeZone: newYork)
        #expect(try quarter.nextFire(after: instant("2026-11-01T01:50:00-04:00")) == instant("2026-11-01T02:00:00-05:00"))
        // Celery would answer 01:30 EDT here, before the last run; we never go back in time.
        let fromSecondPass = quarter.nextFire(after: try instant("2026-11-01T01:20:00-05:00"))
        #expect(fromSecondPass == (try instant("2026-11-01T01:30:00-05:00")), "\(local(fromSecondPass, newYork))")
    }

    @Test func intervalAndClocked() throws {
        let interval = try IntervalSchedule(seconds: 1.5)
        let start = try instant("2026-01-01T00:00:00+00:00")
        #expect(interval.nextFire(after: start) == start.addingTimeInterval(1.5))
        #expect(throws: CeleriacError.self) { try IntervalSchedule(seconds: 0) }
        #expect(throws: CeleriacError.self) { try IntervalSchedule(seconds: .infinity) }
        let clocked = ClockedSchedule(at: start)
        #expect(clocked.nextFire(after: start.addingTimeInterval(-5)) == start)
        #expect(clocked.nextFire(after: start) == nil)
        // A one-off whose time passed before beat first saw it runs once at start.
        let seen = start.addingTimeInterval(60)
        #expect(clocked.nextFire(after: clocked.initialLastRun(firstSeen: seen)) == start)
    }
}
