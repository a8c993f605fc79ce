import Celeriac

/// Python's `repr()` of JSON values, for django-celery-results' `task_args`/`task_kwargs` columns, which hold
/// the message's `argsrepr`/`kwargsrepr` (`"(2, 3)"`, `"{'k': [1.5, None]}"`) rather than JSON.
enum PythonRepr {
    /// `repr(tuple(args))`: `()`, `('kaboom',)`, `(2, 3)`.
    static func tuple(_ items: [JSONValue]) -> String {
        if items.count == 1 { return "(" + repr(items[0]) + ",)" }
        return "(" + items.map(repr).joined(separator: ", ") + ")"
    }

    /// `repr(dict)`: `{}`, `{'k': [1.5, None]}`.
    static func dict(_ object: JSONObject) -> String {
        "{" + object.map { repr(.string($0.key)) + ": " + repr($0.value) }.joined(separator: ", ") + "}"
    }

    /// `repr()` of one JSON value as Python holds it after `json.loads`.
    static func repr(_ value: JSONValue) -> String {
        switch value {
        case .null: return "None"
        case .bool(let flag): return flag ? "True" : "False"
        case .string(let text): return string(text)
        case .array(let items): return "[" + items.map(repr).joined(separator: ", ") + "]"
        case .object(let object): return dict(object)
        case .double(let number):
            if number.isNaN { return "nan" }
            if number.isInfinite { return number < 0 ? "-inf" : "inf" }
            return value.serialized(.python)
        default: return value.serialized(.python)
        }
    }

    /// Python's `str.__repr__`: single quotes unless the text has `'` and no `"`; `\\`, `\n`, `\r`, `\t` and
    /// the quote escaped; other non-printable characters as `\xNN`, `\uNNNN` or `\UNNNNNNNN`.
    static func string(_ text: String) -> String {
        let quote: Character = text.contains("'") && !text.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if Character(scalar) == quote {
                    out += "\\" + String(quote)
                } else if isPrintable(scalar) {
                    out.unicodeScalars.append(scalar)
                } else if scalar.value < 0x100 {
                    out += "\\x" + hex(scalar.value, width: 2)
                } else if scalar.value < 0x10000 {
                    out += "\\u" + hex(scalar.value, width: 4)
                } else {
                    out += "\\U" + hex(scalar.value, width: 8)
                }
            }
        }
        out.append(quote)
        return out
    }

    /// Python's `str.isprintable()` for one character: not a control, separator (other than the ASCII
    /// space), format, surrogate, private-use or unassigned code point.
    private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == " " { return true }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator:
            return false
        default:
            return true
        }
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
