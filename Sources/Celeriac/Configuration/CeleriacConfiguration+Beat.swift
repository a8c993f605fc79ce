import Foundation

extension CeleriacConfiguration {
    /// The `timezone` setting as a `TimeZone`.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/invalidConfiguration``) for an unknown identifier.
    public func resolvedTimeZone() throws(CeleriacError) -> TimeZone {
        guard let zone = TimeZone(identifier: timezone) else {
            throw CeleriacError(.invalidConfiguration, "timezone \"\(timezone)\" is not a known time zone identifier (such as \"UTC\" or \"Asia/Seoul\")")
        }
        return zone
    }

    /// The entries of ``beatSchedule``, crontabs without their own `timezone` read in the `timezone` setting.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/invalidConfiguration``) naming the bad entry.
    public func beatEntries() throws(CeleriacError) -> [ScheduleEntry] {
        try BeatSchedule.entries(from: beatSchedule, timeZone: resolvedTimeZone())
    }
}
