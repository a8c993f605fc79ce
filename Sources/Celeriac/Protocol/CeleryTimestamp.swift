import Foundation

/// Celery's timestamps: Python's `datetime.isoformat()` text, as in the `eta` and `expires` headers and the
/// result's `date_done` (`"2026-11-26T03:40:25.067118+00:00"`).
///
/// Formatting and parsing use integer arithmetic on the proleptic Gregorian calendar, with no `DateFormatter`
/// (slow, and dependent on the locale).
public enum CeleryTimestamp {
    /// Seconds between 1970-01-01 and 2001-01-01, Foundation's reference date.
    private static let referenceOffset: Int64 = 978_307_200
    /// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z, in microseconds since 1970: Python's range.
    private static let minimumMicros: Int64 = -62_135_596_800_000_000
    private static let maximumMicros: Int64 = 253_402_300_799_999_999

    /// Formats a date as Python's `datetime.isoformat()` does for an aware datetime.
    ///
    /// The result is `YYYY-MM-DDTHH:MM:SS.ffffff+HH:MM`, rounded to the microsecond; the fraction is left out when
    /// the microsecond is 0 (`"2030-01-01T12:00:00+02:00"`). Dates outside years 1 to 9999 are clamped.
    /// - Parameters:
    ///   - date: the instant.
    ///   - utcOffsetSeconds: the offset to show the wall time in; 0 (the default) gives `+00:00`, as Celery's
    ///     `app.now()` does. Offsets with seconds are written `+HH:MM:SS`, as Python does.
    /// - Returns: the ISO 8601 text.
    public static func format(_ date: Date, utcOffsetSeconds: Int = 0) -> String {
        let offset = Int64(clamping: max(-86_399, min(86_399, utcOffsetSeconds)))
        var micros = microsSince1970(date)
        micros = max(minimumMicros, min(maximumMicros, micros &+ offset * 1_000_000))
        let (seconds, microsecond) = floorDivide(micros, 1_000_000)
        let (days, secondOfDay) = floorDivide(seconds, 86_400)
        let (year, month, day) = civil(fromDays: days)

        var text = ""
        text.reserveCapacity(32)
        append(year, width: 4, to: &text)
        text += "-"
        append(month, width: 2, to: &text)
        text += "-"
        append(day, width: 2, to: &text)
        text += "T"
        append(secondOfDay / 3600, width: 2, to: &text)
        text += ":"
        append(secondOfDay / 60 % 60, width: 2, to: &text)
        text += ":"
        append(secondOfDay % 60, width: 2, to: &text)
        if microsecond != 0 {
            text += "."
            append(microsecond, width: 6, to: &text)
        }
        text += offset < 0 ? "-" : "+"
        let magnitude = offset.magnitude
        append(Int64(magnitude / 3600), width: 2, to: &text)
        text += ":"
        append(Int64(magnitude / 60 % 60), width: 2, to: &text)
        if magnitude % 60 != 0 {
            text += ":"
            append(Int64(magnitude % 60), width: 2, to: &text)
        }
        return text
    }

    /// Parses ISO 8601 text as Celery reads `eta` and `expires` (`datetime.fromisoformat`, then
    /// `maybe_make_aware` with naive text taken as UTC).
    ///
    /// Accepted: `YYYY-MM-DD`, then `T` or a space, then `HH:MM`, optional `:SS`, optional fraction of any
    /// number of digits (`.` or `,`; digits past the nanosecond are ignored), then an optional offset: `Z`,
    /// `+HH:MM`, `-HH:MM`, `+HHMM`, `+HH` or `+HH:MM:SS[.ffffff]`. A date alone is refused.
    /// - Parameter text: the timestamp text.
    /// - Returns: the instant, or `nil` when the text is not such a timestamp or names an impossible date.
    public static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { parse(bytes: $0) }
    }

    private static func parse(bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        var scanner = Scanner(bytes: bytes)
        guard let year = scanner.digits(4), scanner.skip("-"), let month = scanner.digits(2), scanner.skip("-"),
            let day = scanner.digits(2)
        else { return nil }
        guard scanner.skip("T") || scanner.skip("t") || scanner.skip(" ") else { return nil }
        guard let hour = scanner.digits(2), scanner.skip(":"), let minute = scanner.digits(2) else { return nil }
        var second: Int64 = 0
        var nanosecond: Int64 = 0
        if scanner.skip(":") {
            guard let s = scanner.digits(2) else { return nil }
            second = s
            if scanner.skip(".") || scanner.skip(",") {
                guard let fraction = scanner.fraction() else { return nil }
                nanosecond = fraction
            }
        }
        var offsetSeconds: Int64 = 0
        if scanner.skip("Z") || scanner.skip("z") {
            offsetSeconds = 0
        } else if let sign = scanner.sign() {
            guard let offsetHours = scanner.digits(2) else { return nil }
            var offsetMinutes: Int64 = 0
            var offsetExtra: Int64 = 0
            if scanner.skip(":") {
                guard let m = scanner.digits(2) else { return nil }
                offsetMinutes = m
                if scanner.skip(":") {
                    guard let s = scanner.digits(2) else { return nil }
                    offsetExtra = s
                    if scanner.skip(".") {
                        guard scanner.fraction() != nil else { return nil }  // sub-second offsets: ignored
                    }
                }
            } else if let m = scanner.digits(2) {
                offsetMinutes = m
            }
            guard offsetMinutes < 60, offsetExtra < 60 else { return nil }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60 + offsetExtra)
            guard offsetSeconds.magnitude < 86_400 else { return nil }
        }
        guard scanner.atEnd else { return nil }
        guard year >= 1, (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), hour < 24,
            minute < 60, second < 60
        else { return nil }
        let days = days(fromCivil: year, month, day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        // Keep the whole seconds apart from the fraction so no precision is lost in the Double.
        let sinceReference = Double(seconds - referenceOffset) + Double(nanosecond) / 1e9
        return Date(timeIntervalSinceReferenceDate: sinceReference)
    }

    /// Microseconds since 1970, rounded to nearest (ties to even, as Python's `fromtimestamp`), clamped.
    private static func microsSince1970(_ date: Date) -> Int64 {
        let interval = date.timeIntervalSinceReferenceDate
        guard interval.isFinite else { return interval > 0 ? maximumMicros : minimumMicros }
        let limit = 3.0e11  // beyond years 1...9999 either way
        guard interval < limit else { return maximumMicros }
        guard interval > -limit else { return minimumMicros }
        let whole = interval.rounded(.down)
        let fraction = ((interval - whole) * 1_000_000).rounded(.toNearestOrEven)
        return (Int64(whole) + referenceOffset) * 1_000_000 + Int64(fraction)
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        var quotient = value / divisor
        var remainder = value % divisor
        if remainder < 0 {
            quotient -= 1
            remainder += divisor
        }
        return (quotient, remainder)
    }

    /// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (year, month, day).
    private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    /// Howard Hinnant's `days_from_civil`: (year, month, day) to days since 1970-01-01.
    private static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func append(_ value: Int64, width: Int, to text: inout String) {
        let digits = String(value)
        if digits.count < width { text += String(repeating: "0", count: width - digits.count) }
        text += digits
    }

    /// A cursor over the ASCII bytes of a timestamp.
    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        var atEnd: Bool { index == bytes.count }

        mutating func skip(_ character: Unicode.Scalar) -> Bool {
            guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
            index += 1
            return true
        }

        /// +1, -1, or nil when there is no sign here.
        mutating func sign() -> Int64? {
            if skip("+") { return 1 }
            if skip("-") { return -1 }
            return nil
        }

        /// Exactly `count` ASCII digits.
        mutating func digits(_ count: Int) -> Int64? {
            guard bytes.count - index >= count else { return nil }
            var value: Int64 = 0
            for offset in 0..<count {
                let digit = bytes[index + offset] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value * 10 + Int64(digit)
            }
            index += count
            return value
        }

        /// One or more digits of a fraction, as nanoseconds (digits past the ninth are read and ignored).
        mutating func fraction() -> Int64? {
            var value: Int64 = 0
            var count = 0
            while index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10 {
                if count < 9 { value = value * 10 + Int64(bytes[index] - UInt8(ascii: "0")) }
                count += 1
                index += 1
            }
            guard count > 0 else { return nil }
            for _ in min(count, 9)..<9 { value *= 10 }
            return value
        }
    }
}
