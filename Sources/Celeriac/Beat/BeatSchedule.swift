import Foundation

/// Reads Celery's `beat_schedule` setting from JSON into ``ScheduleEntry`` values.
///
/// The shape is Celery's dict, with JSON for the schedule objects Python writes in code:
/// ```json
/// {
///   "add-every-30s": {"task": "tasks.add", "schedule": 30, "args": [2, 3]},
///   "nightly":       {"task": "tasks.cleanup", "schedule": {"crontab": {"minute": "30", "hour": "3", "day_of_week": "mon-fri"}}},
///   "cron-line":     {"task": "tasks.noop", "schedule": {"crontab": "*/15 * * * *"}},
///   "in-seoul":      {"task": "tasks.noop", "schedule": {"crontab": {"hour": "9", "minute": "0", "timezone": "Asia/Seoul"}}},
///   "every-90s":     {"task": "tasks.noop", "schedule": {"interval": 90}},
///   "once":          {"task": "tasks.noop", "schedule": {"clocked": "2026-12-01T09:00:00+09:00"}},
///   "routed":        {"task": "tasks.add", "schedule": 10, "args": [1, 1], "kwargs": {},
///                     "options": {"queue": "math", "priority": 5, "expires": 9}}
/// }
/// ```
/// - `schedule`: seconds (Celery's `timedelta`/number), `{"interval": seconds}`, `{"crontab": {fields}}` with
///   Celery's keyword names (`minute`, `hour`, `day_of_week`, `day_of_month`, `month_of_year`, each a string
///   or a number, and an optional `timezone`), `{"crontab": "m h dom mon dow"}`, or `{"clocked": ISO 8601 time}`.
/// - `options`: `queue`, `routing_key`, `priority`, `expires` (seconds), `countdown`, `time_limit`,
///   `soft_time_limit`, `ignore_result`, `headers`.
public enum BeatSchedule {
    /// Parses a `beat_schedule` object.
    /// - Parameters:
    ///   - json: entry names to entries.
    ///   - timeZone: the zone of crontabs that name none (the `timezone` setting).
    /// - Returns: the entries, sorted by name.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/invalidConfiguration``) naming the entry and the problem.
    public static func entries(from json: JSONObject, timeZone: TimeZone) throws(CeleriacError) -> [ScheduleEntry] {
        var entries: [ScheduleEntry] = []
        for name in json.keys.sorted() {
            guard let value = json[name] else { continue }
            do throws(CeleriacError) {
                entries.append(try entry(name: name, value, timeZone: timeZone))
            } catch {
                throw CeleriacError(.invalidConfiguration, "beat_schedule \"\(name)\": \(error.message)")
            }
        }
        return entries
    }

    private static func entry(name: String, _ value: JSONValue, timeZone: TimeZone) throws(CeleriacError) -> ScheduleEntry {
        guard let object = value.objectValue else { throw invalid("must be an object with \"task\" and \"schedule\", got \(ConfigText.render(value))") }
        let known: Set<String> = ["task", "schedule", "args", "kwargs", "options"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw invalid("unknown key \"\(unknown)\" (expected task, schedule, args, kwargs, options)")
        }
        guard let task = object["task"]?.stringValue, !task.isEmpty else { throw invalid("\"task\" must be a task name") }
        guard let scheduleValue = object["schedule"] else { throw invalid("\"schedule\" is missing") }
        var args: [JSONValue] = []
        if let value = object["args"], value != .null {
            guard let array = value.arrayValue else { throw invalid("\"args\" must be a list, got \(ConfigText.render(value))") }
            args = array
        }
        var kwargs: JSONObject = [:]
        if let value = object["kwargs"], value != .null {
            guard let dictionary = value.objectValue else { throw invalid("\"kwargs\" must be an object, got \(ConfigText.render(value))") }
            kwargs = dictionary
        }
        let options = try callOptions(object["options"])
        return ScheduleEntry(name: name, task: task, args: args, kwargs: kwargs, options: options, schedule: try schedule(scheduleValue, timeZone: timeZone))
    }

    /// A schedule from its JSON form (see ``BeatSchedule``).
    public static func schedule(_ value: JSONValue, timeZone: TimeZone) throws(CeleriacError) -> any Schedule {
        if let seconds = value.doubleValue { return try IntervalSchedule(seconds: seconds) }
        guard let object = value.objectValue, object.count == 1, let kind = object.keys.first, let body = object[kind] else {
            throw invalid("\"schedule\" must be seconds, {\"interval\": s}, {\"crontab\": {...}} or {\"clocked\": time}, got \(ConfigText.render(value))")
        }
        switch kind {
        case "interval":
            guard let seconds = body.doubleValue ?? body.objectValue?["seconds"]?.doubleValue else {
                throw invalid("\"interval\" must be a number of seconds, got \(ConfigText.render(body))")
            }
            return try IntervalSchedule(seconds: seconds)
        case "crontab":
            if let line = body.stringValue { return try Crontab(line, timeZone: timeZone) }
            guard let fields = body.objectValue else { throw invalid("\"crontab\" must be an object of fields or a cron line, got \(ConfigText.render(body))") }
            return try crontab(fields, timeZone: timeZone)
        case "clocked":
            guard let text = body.stringValue, let date = CeleryTimestamp.parse(text) else {
                throw invalid("\"clocked\" must be an ISO 8601 time such as \"2026-12-01T09:00:00+09:00\", got \(ConfigText.render(body))")
            }
            return ClockedSchedule(at: date)
        default:
            throw invalid("unknown schedule kind \"\(kind)\" (expected interval, crontab or clocked)")
        }
    }

    private static func crontab(_ fields: JSONObject, timeZone: TimeZone) throws(CeleriacError) -> Crontab {
        let names = ["minute", "hour", "day_of_week", "day_of_month", "month_of_year", "timezone"]
        if let unknown = fields.keys.sorted().first(where: { !names.contains($0) }) {
            throw invalid("unknown crontab field \"\(unknown)\" (expected \(names.joined(separator: ", ")))")
        }
        func field(_ name: String) throws(CeleriacError) -> String {
            switch fields[name] {
            case nil, .null?: return "*"
            case .string(let text)?: return text
            case .int(let number)?: return String(number)
            case let other?: throw invalid("crontab \(name) must be a string or a whole number, got \(ConfigText.render(other))")
            }
        }
        var zone = timeZone
        if let name = fields["timezone"]?.stringValue {
            guard let named = TimeZone(identifier: name) else { throw invalid("crontab timezone \"\(name)\" is not a known time zone identifier") }
            zone = named
        }
        return try Crontab(
            minute: field("minute"), hour: field("hour"), dayOfWeek: field("day_of_week"), dayOfMonth: field("day_of_month"),
            monthOfYear: field("month_of_year"), timeZone: zone)
    }

    private static func callOptions(_ value: JSONValue?) throws(CeleriacError) -> CallOptions {
        var options = CallOptions()
        guard let value, value != .null else { return options }
        guard let object = value.objectValue else { throw invalid("\"options\" must be an object, got \(ConfigText.render(value))") }
        for key in object.keys.sorted() {
            guard let item = object[key] else { continue }
            func number() throws(CeleriacError) -> Double {
                guard let number = item.doubleValue, number.isFinite, number >= 0 else { throw invalid("option \"\(key)\" must be a number of seconds") }
                return number
            }
            func text() throws(CeleriacError) -> String {
                guard let text = item.stringValue, !text.isEmpty else { throw invalid("option \"\(key)\" must be a non-empty string") }
                return text
            }
            switch key {
            case "queue": options.queue = try text()
            case "routing_key": options.routingKey = try text()
            case "priority":
                guard let priority = item.intValue, (0...9).contains(priority) else { throw invalid("option \"priority\" must be from 0 to 9") }
                options.priority = priority
            case "expires": options.expires = .seconds(try number())
            case "countdown": options.countdown = try number()
            case "time_limit": options.timeLimit = try number()
            case "soft_time_limit": options.softTimeLimit = try number()
            case "ignore_result":
                guard let flag = item.boolValue else { throw invalid("option \"ignore_result\" must be true or false") }
                options.ignoreResult = flag
            case "headers":
                guard let headers = item.objectValue else { throw invalid("option \"headers\" must be an object") }
                options.headers = headers
            default:
                throw invalid("unknown option \"\(key)\" (expected queue, routing_key, priority, expires, countdown, time_limit, soft_time_limit, ignore_result, headers)")
            }
        }
        return options
    }

    private static func invalid(_ message: String) -> CeleriacError { CeleriacError(.invalidConfiguration, message) }
}
