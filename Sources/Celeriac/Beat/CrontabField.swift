/// Celery's `crontab_parser`: one crontab field (`*`, `*/15`, `1-5`, `1,2,3`, `mon-fri`, `1-10/2`) expanded
/// to the set of values it matches.
///
/// As in Celery: a range whose end is below its start wraps around (`fri-mon` is Friday to Monday); names of
/// weekdays (`sun` = 0 ... `sat` = 6) and months (`jan` = 1 ... `dec` = 12) are accepted, by their first three
/// letters; negative numbers and values out of the field's range are errors.
struct CrontabField: Sendable, Hashable {
    /// Which field, for its range and error messages.
    enum Kind: String, Sendable {
        case minute, hour
        case dayOfWeek = "day_of_week"
        case dayOfMonth = "day_of_month"
        case monthOfYear = "month_of_year"

        /// The smallest value and the number of values (Celery's `min_` and `max_`).
        var bounds: (min: Int, count: Int) {
            switch self {
            case .minute: (0, 60)
            case .hour: (0, 24)
            case .dayOfWeek: (0, 7)
            case .dayOfMonth: (1, 31)
            case .monthOfYear: (1, 12)
            }
        }
    }

    /// The field as written.
    let spec: String
    /// The values it matches, sorted.
    let values: [Int]
    private let members: Set<Int>

    /// Parses a field.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/invalidConfiguration``) naming the field and the problem.
    init(_ spec: String, _ kind: Kind) throws(CeleriacError) {
        let text = ConfigText.trimmed(spec)
        var result = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !part.isEmpty else { throw Self.error(kind, text, "empty part") }
            result.formUnion(try Self.parsePart(String(part), kind, whole: text))
        }
        self.spec = text
        self.members = result
        self.values = result.sorted()
    }

    /// Whether `value` matches.
    func contains(_ value: Int) -> Bool { members.contains(value) }

    /// Whether the field is `*` as written (Celery looks at this for day of month and month).
    var isStar: Bool { spec == "*" }

    private static func parsePart(_ part: String, _ kind: Kind, whole: String) throws(CeleriacError) -> [Int] {
        let (low, count) = kind.bounds
        var base = part
        var step: Int?
        if let slash = part.firstIndex(of: "/") {
            base = String(part[..<slash])
            let stepText = String(part[part.index(after: slash)...])
            guard !stepText.isEmpty else { throw error(kind, whole, "empty step after \"/\"") }
            guard let number = Int(stepText), number > 0 else {
                throw error(kind, whole, "the step \"\(stepText)\" must be a positive whole number")
            }
            step = number
        }
        var expanded: [Int]
        if base == "*" {
            expanded = Array(low..<(low + count))
        } else if let dash = base.dropFirst().firstIndex(of: "-") {
            let from = try number(String(base[..<dash]), kind, whole: whole)
            let to = try number(String(base[base.index(after: dash)...]), kind, whole: whole)
            expanded = to < from ? Array(from..<(low + count)) + Array(low...to) : Array(from...to)
        } else {
            guard step == nil else { throw error(kind, whole, "a step needs \"*\" or a range before it, as in \"*/\(step ?? 1)\"") }
            expanded = [try number(base, kind, whole: whole)]
        }
        if let step { expanded = stride(from: 0, to: expanded.count, by: step).map { expanded[$0] } }
        return expanded
    }

    private static func number(_ token: String, _ kind: Kind, whole: String) throws(CeleriacError) -> Int {
        let (low, count) = kind.bounds
        guard !token.isEmpty else { throw error(kind, whole, "a range needs numbers on both sides of \"-\"") }
        if token.hasPrefix("-") { throw error(kind, whole, "negative numbers are not supported") }
        let value: Int
        if let number = Int(token) {
            value = number
        } else if let month = months[String(token.lowercased().prefix(3))], token.count >= 3 {
            value = month
        } else if let day = weekdays[String(token.lowercased().prefix(3))], token.count >= 3 {
            value = day
        } else {
            throw error(kind, whole, "\"\(token)\" is not a number, a weekday (sun-sat) or a month (jan-dec)")
        }
        guard value >= low, value < low + count else {
            throw error(kind, whole, "\(value) is out of range \(low)-\(low + count - 1)")
        }
        return value
    }

    private static let weekdays = ["sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6]
    private static let months = [
        "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
    ]

    private static func error(_ kind: Kind, _ spec: String, _ problem: String) -> CeleriacError {
        CeleriacError(.invalidConfiguration, "crontab \(kind.rawValue) \"\(spec)\": \(problem)")
    }
}
