/// Where a task's messages go: one value of Celery's `task_routes` mapping.
///
/// Celery writes a route as `{"queue": "math", "routing_key": "math.add", "priority": 5}` or just as the
/// queue name `"math"`; both decode to a ``TaskRoute``.
public struct TaskRoute: Sendable, Hashable {
    /// The queue the task is sent to.
    public var queue: String
    /// The routing key, when it differs from the queue name.
    public var routingKey: String?
    /// The default priority (0-9) for the task's messages.
    public var priority: Int?
    /// The exchange, for AMQP brokers.
    public var exchange: String?
    /// Any other publish options given in the route, kept as written.
    public var options: JSONObject

    /// Creates a route.
    public init(queue: String, routingKey: String? = nil, priority: Int? = nil, exchange: String? = nil, options: JSONObject = [:]) {
        self.queue = queue
        self.routingKey = routingKey
        self.priority = priority
        self.exchange = exchange
        self.options = options
    }
}

/// Celery's `task_routes` mapping: task names or glob patterns (`"tasks.*"`) to ``TaskRoute``s, in order.
///
/// Write it as a dictionary literal; the order of the literal is kept, and it matters for patterns:
/// ```swift
/// let routes: TaskRoutes = [
///     "tasks.add": TaskRoute(queue: "math"),
///     "images.*": TaskRoute(queue: "media"),
///     "*": TaskRoute(queue: "default"),
/// ]
/// routes.route(for: "tasks.add")?.queue   // "math"
/// ```
public struct TaskRoutes: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    /// The entries in order: a task name or pattern, and its route.
    public private(set) var entries: [(pattern: String, route: TaskRoute)]

    /// Creates routes from ordered pairs; a later duplicate key replaces the earlier one's route.
    public init(_ entries: [(String, TaskRoute)] = []) {
        self.entries = []
        for (pattern, route) in entries { self[pattern] = route }
    }

    /// Creates routes from a literal, keeping its order.
    public init(dictionaryLiteral elements: (String, TaskRoute)...) {
        self.init(elements)
    }

    /// The number of entries.
    public var count: Int { entries.count }
    /// Whether there are no routes.
    public var isEmpty: Bool { entries.isEmpty }

    /// The route stored under exactly this name or pattern; setting `nil` removes it, a new key is appended.
    public subscript(pattern: String) -> TaskRoute? {
        get { entries.first(where: { $0.pattern == pattern })?.route }
        set {
            if let index = entries.firstIndex(where: { $0.pattern == pattern }) {
                if let newValue { entries[index].route = newValue } else { entries.remove(at: index) }
            } else if let newValue {
                entries.append((pattern, newValue))
            }
        }
    }

    /// The route for a task, with Celery's precedence (`celery.app.routes.MapRoute`).
    ///
    /// A key without `*` must equal the task name; a key with `*` is a glob (`fnmatch`: `*`, `?`, `[seq]`,
    /// `[!seq]`) matched against the whole name. An exact key wins; otherwise the first matching pattern
    /// in order.
    /// - Parameter taskName: the task's registered name, such as `"tasks.add"`.
    /// - Returns: the route, or `nil` when nothing matches (the task goes to the default queue).
    public func route(for taskName: String) -> TaskRoute? {
        if let exact = entries.first(where: { !$0.pattern.contains("*") && $0.pattern == taskName }) {
            return exact.route
        }
        return entries.first(where: { $0.pattern.contains("*") && Glob.matches(Array($0.pattern), Array(taskName)) })?.route
    }

    /// Iterates over the entries in order.
    public func makeIterator() -> IndexingIterator<[(pattern: String, route: TaskRoute)]> {
        entries.makeIterator()
    }

    /// Whether both hold the same patterns and routes in the same order.
    public static func == (lhs: TaskRoutes, rhs: TaskRoutes) -> Bool {
        lhs.entries.count == rhs.entries.count
            && zip(lhs.entries, rhs.entries).allSatisfy { $0.pattern == $1.pattern && $0.route == $1.route }
    }

    /// Hashes the entries in order.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(entries.count)
        for entry in entries {
            hasher.combine(entry.pattern)
            hasher.combine(entry.route)
        }
    }
}

/// Python's `fnmatch` (case-sensitive, as `fnmatch.translate` + `re.match` is).
enum Glob {
    /// Whether `name` matches `pattern` entirely.
    static func matches(_ pattern: [Character], _ name: [Character]) -> Bool {
        var p = 0, n = 0
        var starP = -1, starN = 0
        while n < name.count {
            if p < pattern.count, pattern[p] == "*" {
                starP = p
                starN = n
                p += 1
                continue
            }
            if p < pattern.count, let width = matchOne(pattern, at: p, name[n]) {
                p += width
                n += 1
                continue
            }
            guard starP >= 0 else { return false }
            p = starP + 1
            starN += 1
            n = starN
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }

    /// Matches one pattern element (`?`, `[set]` or a literal) at `index` against `character`.
    /// - Returns: the element's width in the pattern when it matches, `nil` otherwise.
    private static func matchOne(_ pattern: [Character], at index: Int, _ character: Character) -> Int? {
        switch pattern[index] {
        case "?":
            return 1
        case "[":
            guard let (matched, width) = matchSet(pattern, at: index, character) else {
                return character == "[" ? 1 : nil  // An unclosed '[' is a literal, as in fnmatch.
            }
            return matched ? width : nil
        case let literal:
            return literal == character ? 1 : nil
        }
    }

    /// Matches a `[seq]` / `[!seq]` set starting at `index`.
    /// - Returns: whether it matched and the set's width, or `nil` when the set is not closed.
    private static func matchSet(_ pattern: [Character], at index: Int, _ character: Character) -> (Bool, Int)? {
        var i = index + 1
        var negate = false
        if i < pattern.count, pattern[i] == "!" {
            negate = true
            i += 1
        }
        let start = i
        if i < pattern.count, pattern[i] == "]" { i += 1 }  // A leading ']' is a member.
        while i < pattern.count, pattern[i] != "]" { i += 1 }
        guard i < pattern.count else { return nil }
        let members = Array(pattern[start..<i])
        var found = false
        var m = 0
        while m < members.count {
            if m + 2 < members.count, members[m + 1] == "-" {
                if members[m] <= character && character <= members[m + 2] { found = true }
                m += 3
            } else {
                if members[m] == character { found = true }
                m += 1
            }
        }
        return (found != negate, i - index + 1)
    }
}
