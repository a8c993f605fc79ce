import Celeriac
import Synchronization

/// The schedule an executable defines in code, read by `beat` and `worker -B` together with the
/// `beat_schedule` setting (an entry of the setting replaces the code's entry of the same name, as a
/// Celery config's `beat_schedule` replaces `app.add_periodic_task` entries of the same name).
///
/// ```swift
/// BeatSchedules.register { config in
///     [ScheduleEntry(name: "add-every-10s", task: "tasks.add", args: [2, 3], schedule: try IntervalSchedule(seconds: 10))]
/// }
/// await CeleriacCommandLine.main(commandName: "myapp", registry: registry)
/// ```
public enum BeatSchedules {
    /// Builds entries from the resolved configuration (for its `timezone`).
    public typealias Provider = @Sendable (CeleriacConfiguration) throws -> [ScheduleEntry]

    private static let providers = Mutex<[Provider]>([])

    /// Adds entries defined in code.
    public static func register(_ provider: @escaping Provider) {
        providers.withLock { $0.append(provider) }
    }

    /// The code's entries followed by the configuration's.
    /// - Throws: ``CeleriacError`` from a provider or from parsing `beat_schedule`.
    public static func entries(for configuration: CeleriacConfiguration) throws -> [ScheduleEntry] {
        let all = providers.withLock { $0 }
        var entries: [ScheduleEntry] = []
        for provider in all { entries += try provider(configuration) }
        return entries + (try configuration.beatEntries())
    }
}
