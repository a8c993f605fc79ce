/// A port of Celery's `saferepr` (`celery/utils/saferepr.py`: `_saferepr` and `reprstream`) for JSON values.
///
/// The Python version streams tokens from a chain of iterators; this one walks a stack of container frames that
/// yields the same tokens in the same order, so truncation and the closing brackets come out identical.
enum PythonSafeRepr {
    /// Celery's `argsrepr_maxsize` and `kwargsrepr_maxsize`.
    static let celeryMaxLength = 1024

    /// What to render: Celery passes the args as a tuple.
    enum Root {
        case tuple([JSONValue])
        case value(JSONValue)
    }

    /// `_literal`, `_key`, `_quoted`, and plain text (numbers, `None`, booleans).
    enum Token {
        case literal(String, truncatable: Bool, direction: Int)
        case key(String)
        case quoted(String)
        case text(String)
    }

    /// An open container: its items are produced slot by slot, separators included, then its closing bracket.
    struct Frame {
        enum Items {
            case list([JSONValue])
            case dict([(key: String, value: JSONValue)])
        }
        var items: Items
        var slot = 0
        let closing: String

        /// The number of slots before the closing bracket.
        var slotCount: Int {
            switch items {
            case .list(let values): values.isEmpty ? 0 : values.count * 2 - 1
            case .dict(let pairs): pairs.isEmpty ? 0 : pairs.count * 4 - 1
            }
        }
    }

    struct TokenStream {
        var frames: [Frame] = []
        var root: Root?
        let maxLevels: Int

        init(root: Root, maxLevels: Int) {
            self.root = root
            self.maxLevels = maxLevels
        }

        mutating func next() -> Token? {
            if let pending = root {
                root = nil
                switch pending {
                case .tuple(let values):
                    return open(.list(values), opening: "(", closing: values.count == 1 ? ",)" : ")")
                case .value(let value):
                    return encounter(value)
                }
            }
            guard let top = frames.indices.last else { return nil }
            let slot = frames[top].slot
            if slot >= frames[top].slotCount {
                let closing = frames.removeLast().closing
                return .literal(closing, truncatable: false, direction: -1)
            }
            frames[top].slot += 1
            switch frames[top].items {
            case .list(let values):
                if slot % 2 == 1 { return .literal(", ", truncatable: true, direction: 0) }
                return encounter(values[slot / 2])
            case .dict(let pairs):
                switch slot % 4 {
                case 0: return .key(pairs[slot / 4].key)
                case 1: return .literal(": ", truncatable: true, direction: 0)
                case 2: return encounter(pairs[slot / 4].value)
                default: return .literal(", ", truncatable: true, direction: 0)
                }
            }
        }

        /// A value met inside the stream: scalars become tokens, containers open a frame (or `[...]` too deep).
        mutating func encounter(_ value: JSONValue) -> Token {
            switch value {
            case .null: return .text("None")
            case .bool(let b): return .text(b ? "True" : "False")
            case .int(let i): return .text(String(i))
            case .double(let d): return .text(PythonNumberFormat.pythonRepr(d))
            case .string(let s): return .quoted(s)
            case .array(let values): return open(.list(values), opening: "[", closing: "]")
            case .object(let object): return open(.dict(object.pairs), opening: "{", closing: "}")
            }
        }

        mutating func open(_ items: Frame.Items, opening: String, closing: String) -> Token {
            if maxLevels > 0 && frames.count >= maxLevels {
                return .literal(opening + "..." + closing, truncatable: false, direction: 0)
            }
            frames.append(Frame(items: items, closing: closing))
            return .literal(opening, truncatable: false, direction: 1)
        }
    }

    /// Renders like `saferepr(o, maxlen, maxlevels)`.
    static func render(_ root: Root, maxLength: Int?, maxLevels: Int) -> String {
        var stream = TokenStream(root: root, maxLevels: maxLevels)
        var output = ""
        var remaining = maxLength
        while let token = stream.next() {
            if let budget = remaining, budget <= 0 {
                if case .literal(let value, _, let direction) = token, direction < 0 {
                    // The cut value was the last in its container: close it, uncounted.
                    output += value
                    continue
                }
                output += ", ..."
                // Close what is still open, innermost first; a container whose opening bracket is the token
                // just refused was never shown, so its closing bracket is skipped too.
                var open = stream.frames[...]
                if case .literal(_, _, let direction) = token, direction > 0 { open = open.dropLast() }
                for frame in open.reversed() { output += frame.closing }
                break
            }
            let text: String
            switch token {
            case .literal(let value, _, _): text = value
            case .key(let key): text = formatChars(key, remaining)
            case .quoted(let string): text = formatChars(string, remaining)
            case .text(let plain): text = truncate(plain, remaining)
            }
            output += text
            if let budget = remaining { remaining = budget - text.unicodeScalars.count }
        }
        return output
    }

    /// `_format_chars`: single quotes, only `'` escaped, cut by ``truncate(_:_:)``.
    static func formatChars(_ string: String, _ maxLength: Int?) -> String {
        let cut = truncate(string, maxLength)
        var output = "'"
        if cut.utf8.contains(UInt8(ascii: "'")) {
            for scalar in cut.unicodeScalars {
                if scalar == "'" { output += "\\'" } else { output.unicodeScalars.append(scalar) }
            }
        } else {
            output += cut
        }
        output += "'"
        return output
    }

    /// `celery.utils.text.truncate`: when `len(s) >= maxlen`, `s[:maxlen].rsplit(' ', 1)[0] + '...'`.
    static func truncate(_ string: String, _ maxLength: Int?) -> String {
        guard let maxLength, maxLength != 0 else { return string }
        let scalars = string.unicodeScalars
        // Fast check: the UTF-8 count is an upper bound of the scalar count.
        if string.utf8.count < maxLength { return string }
        guard scalars.count >= maxLength else { return string }
        var prefix = String.UnicodeScalarView()
        // A negative maxlen slices from the end in Python; the stream never passes one (it stops at <= 0).
        let limit = max(0, maxLength)
        prefix.append(contentsOf: scalars.prefix(limit))
        if let lastSpace = prefix.lastIndex(of: " ") {
            prefix = String.UnicodeScalarView(prefix[prefix.startIndex..<lastSpace])
        }
        return String(prefix) + "..."
    }
}
