import Celeriac
import Foundation
import Testing

@Suite struct BeatScheduleTests {
    @Test func readsCelerysShapeFromAConfigFile() throws {
        let text = #"""
            {
              "timezone": "Asia/Seoul",
              "beat_schedule": {
                "every-10": {"task": "tasks.add", "schedule": 10, "args": [2, 3]},
                "nightly": {"task": "tasks.noop", "schedule": {"crontab": {"minute": 30, "hour": "3", "day_of_week": "mon-fri"}}},
                "line": {"task": "tasks.noop", "schedule": {"crontab": "*/15 * * * *"}},
                "paris": {"task": "tasks.noop", "schedule": {"crontab": {"hour": "9", "minute": "0", "timezone": "Europe/Paris"}}},
                "ninety": {"task": "tasks.noop", "schedule": {"interval": 90}},
                "once": {"task": "tasks.noop", "schedule": {"clocked": "2026-12-01T09:00:00+09:00"}},
                "routed": {"task": "tasks.add", "schedule": 5, "kwargs": {"x": 1, "y": 2},
                           "options": {"queue": "math", "priority": 5, "expires": 4, "routing_key": "math"}}
              }
            }
            """#
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("beat-\(UUID().uuidString).json").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(text.utf8)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let config = try CeleriacConfiguration.resolve(file: path, environment: [:])
        #expect(!config.unrecognizedKeys.contains("beat_schedule"))
        let entries = try config.beatEntries()
        #expect(entries.map(\.name) == ["every-10", "line", "nightly", "ninety", "once", "paris", "routed"])
        let byName = Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0) })
        #expect((byName["every-10"]?.schedule as? IntervalSchedule)?.seconds == 10)
        #expect(byName["every-10"]?.args == [2, 3])
        let nightly = try #require(byName["nightly"]?.schedule as? Crontab)
        #expect(nightly.minute == "30" && nightly.hour == "3" && nightly.dayOfWeek == "mon-fri" && nightly.timeZone.identifier == "Asia/Seoul")
        #expect((byName["paris"]?.schedule as? Crontab)?.timeZone.identifier == "Europe/Paris")
        #expect((byName["ninety"]?.schedule as? IntervalSchedule)?.seconds == 90)
        #expect((byName["once"]?.schedule as? ClockedSchedule)?.date == CeleryTimestamp.parse("2026-12-01T00:00:00+00:00"))
        let routed = try #require(byName["routed"])
        #expect(routed.options.queue == "math" && routed.options.priority == 5 && routed.options.expires == .seconds(4))
        #expect(routed.kwargs == ["x": 1, "y": 2])
    }

    @Test func readsTheEnvironmentVariable() throws {
        let config = try CeleriacConfiguration(environment: [
            "CELERY_BEAT_SCHEDULE": #"{"e": {"task": "tasks.noop", "schedule": {"crontab": "0 9 * * *"}}}"#, "CELERY_TIMEZONE": "Asia/Seoul",
        ])
        let entry = try #require(try config.beatEntries().first)
        #expect((entry.schedule as? Crontab)?.timeZone.identifier == "Asia/Seoul")
    }

    @Test(arguments: [
        (#"{"e": {"schedule": 10}}"#, "\"task\" must be"),
        (#"{"e": {"task": "t"}}"#, "\"schedule\" is missing"),
        (#"{"e": {"task": "t", "schedule": -1}}"#, "positive number of seconds"),
        (#"{"e": {"task": "t", "schedule": {"crontab": {"minute": "61"}}}}"#, "crontab minute \"61\""),
        (#"{"e": {"task": "t", "schedule": {"crontab": {"minutes": "1"}}}}"#, "unknown crontab field \"minutes\""),
        (#"{"e": {"task": "t", "schedule": {"crontab": {"timezone": "Mars/Olympus"}}}}"#, "not a known time zone"),
        (#"{"e": {"task": "t", "schedule": {"solar": ["sunset", 1, 2]}}}"#, "unknown schedule kind"),
        (#"{"e": {"task": "t", "schedule": {"clocked": "tomorrow"}}}"#, "ISO 8601"),
        (#"{"e": {"task": "t", "schedule": 1, "args": {"x": 1}}}"#, "\"args\" must be a list"),
        (#"{"e": {"task": "t", "schedule": 1, "options": {"priority": 12}}}"#, "priority"),
        (#"{"e": {"task": "t", "schedule": 1, "options": {"exchange": "x"}}}"#, "unknown option \"exchange\""),
        (#"{"e": {"task": "t", "schedule": 1, "every": 2}}"#, "unknown key \"every\""),
    ])
    func badEntriesAreClearErrors(json: String, problem: String) throws {
        let error = #expect(throws: CeleriacError.self) {
            _ = try CeleriacConfiguration(environment: ["CELERY_BEAT_SCHEDULE": json])
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("CELERY_BEAT_SCHEDULE") == true, "\(String(describing: error))")
        #expect(error?.message.contains("beat_schedule \"e\"") == true, "\(String(describing: error))")
        #expect(error?.message.contains(problem) == true, "\(String(describing: error))")
    }
}
