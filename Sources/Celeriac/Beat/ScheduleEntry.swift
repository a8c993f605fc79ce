/// One periodic task: Celery's `beat_schedule` entry (`{"task": ..., "schedule": ..., "args": ..., "kwargs": ...,
/// "options": ...}`) under its name.
///
/// ```swift
/// let entry = ScheduleEntry(
///     name: "add-every-30s", task: "tasks.add", args: [2, 3],
///     options: CallOptions(expires: .seconds(25), queue: "math"),
///     schedule: try IntervalSchedule(seconds: 30))
/// ```
public struct ScheduleEntry: Sendable, CustomStringConvertible {
    /// The entry's name: the key of its state in the beat store, so it must be stable across restarts.
    public var name: String
    /// The task's name, sent as is (Celery's `send_task`): the task need not be registered in this process.
    public var task: String
    /// Positional arguments.
    public var args: [JSONValue]
    /// Keyword arguments.
    public var kwargs: JSONObject
    /// Call options (queue, routing key, priority, expires, ...); `taskID` is ignored (each tick gets its own).
    public var options: CallOptions
    /// When the task runs.
    public var schedule: any Schedule

    /// Creates an entry.
    public init(
        name: String, task: String, args: [JSONValue] = [], kwargs: JSONObject = [:], options: CallOptions = CallOptions(),
        schedule: any Schedule
    ) {
        self.name = name
        self.task = task
        self.args = args
        self.kwargs = kwargs
        self.options = options
        self.schedule = schedule
    }

    /// Celery's repr of an entry: name, call and schedule.
    public var description: String { "<ScheduleEntry: \(name) \(task)(*\(JSONValue.array(args).pythonSafeRepr()), **\(JSONValue.object(kwargs).pythonSafeRepr())) \(schedule)>" }
}
