/// Small text helpers shared by the configuration parsers.
enum ConfigText {
    /// Whether `character` is one of the ASCII digits 0-9 (usable as a key path-like function).
    static func isDigit(_ character: Character) -> Bool { character.isASCII && character.isNumber }

    /// `text` without leading and trailing spaces, tabs and newlines.
    static func trimmed(_ text: some StringProtocol) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let start = text.firstIndex(where: { !isSpace($0) }), let end = text.lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(text[start...end])
    }

    /// A short rendering of a JSON value for error messages (strings quoted, containers abbreviated).
    static func render(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .int(let i): String(i)
        case .double(let d): String(d)
        case .string(let s): "\"\(s)\""
        case .array(let a): a.isEmpty ? "[]" : "[" + a.prefix(3).map(render).joined(separator: ", ") + (a.count > 3 ? ", ...]" : "]")
        case .object(let o): o.isEmpty ? "{}" : "{" + o.keys.prefix(3).map { "\"\($0)\": ..." }.joined(separator: ", ") + (o.count > 3 ? ", ...}" : "}")
        }
    }

    /// The Levenshtein distance between two strings, for "did you mean" suggestions.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// The candidate closest to `word`, if it is close enough to be a likely typo.
    static func closest(to word: String, in candidates: [String]) -> String? {
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(word, candidate)
            if distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        guard let best, best.distance <= max(2, word.count / 3) else { return nil }
        return best.name
    }
}
