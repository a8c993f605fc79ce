import Foundation

/// Wall-clock arithmetic in one time zone: civil dates from day numbers (no `Calendar` needed), and the
/// instants a wall-clock time stands for across daylight saving changes.
struct WallClock: Sendable {
    let timeZone: TimeZone

    /// A wall-clock minute's fields; `weekday` 0 is Sunday (Celery's numbering).
    struct Fields: Sendable, Hashable {
        var year: Int
        var month: Int
        var day: Int
        var weekday: Int
        var hour: Int
        var minute: Int
    }

    /// The wall-clock time of `date` in the zone, as seconds since 1970-01-01 00:00 "local".
    func wallSeconds(of date: Date) -> Double {
        date.timeIntervalSince1970 + Double(timeZone.secondsFromGMT(for: date))
    }

    /// The instant of a wall-clock time that is later than `after`.
    ///
    /// A time that exists twice (clocks turned back) gives its first occurrence after `after`; a time that does
    /// not exist (clocks jumped forward) is read with the offset in force before the jump, as Python's
    /// `zoneinfo` does for `fold=0`, so 02:30 becomes 03:30.
    func instant(wallSeconds wall: Double, after: Date) -> Date? {
        let before = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: wall - 86400))
        let later = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: wall + 86400))
        var solutions: [Date] = []
        for offset in Set([before, later, timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: wall))]) {
            let candidate = Date(timeIntervalSince1970: wall - Double(offset))
            if timeZone.secondsFromGMT(for: candidate) == offset { solutions.append(candidate) }
        }
        if solutions.isEmpty { solutions = [Date(timeIntervalSince1970: wall - Double(before))] }
        return solutions.sorted().first { $0 > after }
    }

    /// The fields of wall-clock minute number `minute` (minutes since 1970-01-01 00:00).
    static func fields(ofMinute minute: Int64) -> Fields {
        let days = floorDiv(minute, 1440)
        let inDay = Int(minute - days * 1440)
        let (year, month, day) = civil(fromDays: days)
        let weekday = Int(((days % 7) + 7 + 4) % 7)  // 1970-01-01 was a Thursday
        return Fields(year: year, month: month, day: day, weekday: weekday, hour: inDay / 60, minute: inDay % 60)
    }

    /// The minute number of 00:00 on the first day of the month after `fields`'.
    static func firstMinuteOfNextMonth(_ fields: Fields) -> Int64 {
        let (year, month) = fields.month == 12 ? (fields.year + 1, 1) : (fields.year, fields.month + 1)
        return days(fromCivil: year, month, 1) * 1440
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }

    /// Howard Hinnant's `civil_from_days`.
    static func civil(fromDays z0: Int64) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }

    /// Howard Hinnant's `days_from_civil`.
    static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
