import Celeriac
import CeleriacCommands
import Foundation

/// The example application's schedule in code, for `celeriac-example beat` and `worker -B`:
/// `tasks.add(2, 3)` every `CELERIAC_EXAMPLE_BEAT_INTERVAL` seconds (10 by default; `0` turns it off),
/// to the default queue. More entries come from the `beat_schedule` setting.
enum ExampleSchedule {
    /// The entry's name.
    static let entryName = "example.add-every-interval"

    static func register() {
        BeatSchedules.register { _ in
            let text = ProcessInfo.processInfo.environment["CELERIAC_EXAMPLE_BEAT_INTERVAL"] ?? "10"
            guard let seconds = Double(text), seconds >= 0, seconds.isFinite else {
                throw CeleriacError(.invalidConfiguration, "CELERIAC_EXAMPLE_BEAT_INTERVAL must be a number of seconds (0 for none), got \"\(text)\"")
            }
            guard seconds > 0 else { return [] }
            return [ScheduleEntry(name: entryName, task: "tasks.add", args: [2, 3], schedule: try IntervalSchedule(seconds: seconds))]
        }
    }
}
