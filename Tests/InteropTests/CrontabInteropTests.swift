import CeleriacTesting
import Celeriac
import Foundation
import Testing

/// Our ``Crontab/nextFire(after:)`` against real Python Celery 5.7's `crontab.remaining_estimate` and `is_due`,
/// for a table of cases: plain fields, names, wrap-around ranges, day of month and week together, leap days,
/// `Asia/Seoul`, and daylight saving changes in New York and Paris.
@Suite("Crontab next-fire times match Python Celery", .enabled(if: Interop.isCI || Interop.python != nil))
struct CrontabInteropTests {
    struct Case: Codable {
        var minute = "*", hour = "*", day_of_week = "*", day_of_month = "*", month_of_year = "*"
        var timezone = "UTC"
        var last: String
    }

    struct Answer: Codable {
        var next: String
        var due_before: Bool
        var due_at: Bool
    }

    static let cases: [Case] = [
        Case(last: "2026-05-05T10:00:00+00:00"),
        Case(minute: "*/15", last: "2026-05-05T10:07:31+00:00"),
        Case(minute: "*/15", last: "2026-12-31T23:45:00+00:00"),
        Case(minute: "0", hour: "*/4", last: "2026-05-05T21:00:00+00:00"),
        Case(minute: "30", hour: "9-17", day_of_week: "mon-fri", last: "2026-01-02T17:30:00+00:00"),
        Case(minute: "0", hour: "0", day_of_week: "fri-mon", last: "2026-01-05T12:00:00+00:00"),
        Case(minute: "0", hour: "0", day_of_week: "sun", last: "2026-01-01T00:00:00+00:00"),
        Case(minute: "0", hour: "12", day_of_week: "fri", day_of_month: "13", last: "2026-01-01T00:00:00+00:00"),
        Case(minute: "0", hour: "0", day_of_month: "29", month_of_year: "2", last: "2026-03-01T00:00:00+00:00"),
        Case(minute: "15", hour: "3", day_of_month: "1,15", month_of_year: "*/3", last: "2026-04-15T03:15:00+00:00"),
        Case(minute: "0", hour: "0", day_of_month: "31", last: "2026-04-01T00:00:00+00:00"),
        Case(minute: "1-10/3", last: "2026-05-05T10:04:00+00:00"),
        Case(minute: "0", hour: "9", day_of_week: "mon-fri", timezone: "Asia/Seoul", last: "2026-01-02T10:00:00+09:00"),
        Case(minute: "0", hour: "0", timezone: "Asia/Seoul", last: "2026-06-01T14:59:00+00:00"),
        Case(minute: "*/30", hour: "8-9", timezone: "Asia/Seoul", last: "2026-06-01T00:45:00+00:00"),
        // New York springs forward 2026-03-08 02:00 -> 03:00 and falls back 2026-11-01 02:00 -> 01:00.
        Case(minute: "30", hour: "2", timezone: "America/New_York", last: "2026-03-07T02:30:00-05:00"),
        Case(minute: "0", timezone: "America/New_York", last: "2026-03-08T01:00:00-05:00"),
        Case(minute: "30", hour: "1", timezone: "America/New_York", last: "2026-10-31T01:30:00-04:00"),
        Case(minute: "30", hour: "1", timezone: "America/New_York", last: "2026-11-01T01:30:00-04:00"),
        Case(minute: "*/15", timezone: "America/New_York", last: "2026-11-01T01:50:00-04:00"),
        // Paris: 2026-03-29 02:00 -> 03:00, 2026-10-25 03:00 -> 02:00.
        Case(minute: "0", hour: "2", timezone: "Europe/Paris", last: "2026-03-28T02:00:00+01:00"),
        Case(minute: "0", hour: "4", timezone: "Europe/Paris", last: "2026-10-24T04:00:00+02:00"),
    ]

    @Test func nextFireTimesAgreeWithCelery() async throws {
        guard let python = Interop.python else {
            throw InteropError("CELERIAC_INTEROP_PYTHON is not set: run `export CELERIAC_INTEROP_PYTHON=$(scripts/interop-env.sh)`")
        }
        let answers = try await Self.askCelery(python: python, Self.cases)
        try #require(answers.count == Self.cases.count)
        for (item, answer) in zip(Self.cases, answers) {
            let zone = try #require(TimeZone(identifier: item.timezone))
            let cron = try Crontab(
                minute: item.minute, hour: item.hour, dayOfWeek: item.day_of_week, dayOfMonth: item.day_of_month, monthOfYear: item.month_of_year,
                timeZone: zone)
            let last = try #require(CeleryTimestamp.parse(item.last))
            let celery = try #require(CeleryTimestamp.parse(answer.next), "\(answer.next)")
            let ours = cron.nextFire(after: last)
            #expect(ours == celery, "\(cron) after \(item.last): Celery \(answer.next), Celeriac \(ours.map { CeleryTimestamp.format($0) } ?? "nil")")
            #expect(!answer.due_before && answer.due_at, "Celery's is_due agrees that \(answer.next) is the run time")
        }
    }

    /// Celery computes a next run before the last one when the last run fell in the repeated hour of a fall-back
    /// (01:20 EST, the second 01:20): it answers 01:30 EDT, 50 minutes in the past, so `is_due` is true at once
    /// and again after each run until the hour passes. We answer 01:30 EST.
    @Test func differsFromCeleryOnlyWhereCeleryGoesBackInTime() async throws {
        guard let python = Interop.python else { throw InteropError("CELERIAC_INTEROP_PYTHON is not set") }
        let item = Case(minute: "*/15", timezone: "America/New_York", last: "2026-11-01T01:20:00-05:00")
        let answer = try #require(try await Self.askCelery(python: python, [item]).first)
        let last = try #require(CeleryTimestamp.parse(item.last))
        let celery = try #require(CeleryTimestamp.parse(answer.next))
        #expect(celery < last, "Celery 5.7's answer is before the last run: \(answer.next)")
        let ours = try Crontab(minute: "*/15", timeZone: #require(TimeZone(identifier: "America/New_York"))).nextFire(after: last)
        #expect(ours == CeleryTimestamp.parse("2026-11-01T01:30:00-05:00"))
    }

    /// Runs `crontab_cases.py` with the cases as a JSON file (through ``Subprocess``, never blocking a thread of
    /// the cooperative pool).
    static func askCelery(python: String, _ cases: [Case]) async throws -> [Answer] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("celeriac-cron-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("cases.json")
        try JSONEncoder().encode(cases).write(to: input)
        let script = (Interop.pythonDirectory as NSString).appendingPathComponent("crontab_cases.py")
        let result = try await Subprocess.run(python, [script, input.path], timeout: .seconds(60))
        guard result.succeeded, let answers = try? JSONDecoder().decode([Answer].self, from: Data(result.standardOutput.utf8)) else {
            throw InteropError("crontab_cases.py failed: \(result)")
        }
        return answers
    }
}
