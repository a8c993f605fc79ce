extension JSONValue {
    /// The value as Python's `repr` writes it after `json.loads`: `None`, `True`, `False`, `5`, `1.0`, `1e-05`,
    /// `'text'`, `[1, 2]`, `{'a': 1}`.
    ///
    /// Strings follow `repr(str)`: single quotes unless the text contains `'` and no `"`; `\\`, `\n`, `\r`,
    /// `\t` and the quote are escaped, other non-printable characters as `\xhh`, `\uhhhh` or `\Uhhhhhhhh`;
    /// printable non-ASCII is kept. Floats are written like `repr(float)` (`nan`, `inf`). Nothing is truncated:
    /// for Celery's `argsrepr`/`kwargsrepr` use ``pythonArgsRepr(_:)`` and ``pythonKwargsRepr(_:)``.
    /// - Returns: the Python repr text.
    public func pythonRepr() -> String {
        var output = ""
        appendRepr(to: &output)
        return output
    }

    private func appendRepr(to output: inout String) {
        switch self {
        case .null: output += "None"
        case .bool(let b): output += b ? "True" : "False"
        case .int(let i): output += String(i)
        case .double(let d): output += PythonNumberFormat.pythonRepr(d)
        case .string(let s): PythonStringRepr.append(s, to: &output)
        case .array(let elements):
            output += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { output += ", " }
                element.appendRepr(to: &output)
            }
            output += "]"
        case .object(let object):
            output += "{"
            var first = true
            for pair in object {
                if !first { output += ", " }
                first = false
                PythonStringRepr.append(pair.key, to: &output)
                output += ": "
                pair.value.appendRepr(to: &output)
            }
            output += "}"
        }
    }

    /// Celery's `argsrepr` header for positional arguments: `saferepr(tuple(args), 1024)` as
    /// `celery/app/amqp.py:as_task_v2` computes it, giving `"(2, 3)"`, `"(2,)"` or `"()"`.
    ///
    /// This follows `celery/utils/saferepr.py` exactly, which differs from `repr`: strings are always in single
    /// quotes with only `'` escaped (`'it\'s'`; newlines and backslashes are written raw), containers nested
    /// three levels deep or more are shown as `[...]`/`{...}`, and once 1024 characters are written the text
    /// ends with `, ...` (a long string or number is cut on a space and gets `...`) and the open brackets are
    /// closed.
    /// - Parameter args: the positional arguments.
    /// - Returns: the repr text.
    public static func pythonArgsRepr(_ args: [JSONValue]) -> String {
        PythonSafeRepr.render(.tuple(args), maxLength: PythonSafeRepr.celeryMaxLength, maxLevels: 3)
    }

    /// Celery's `kwargsrepr` header: `saferepr(kwargs, 1024)`, giving `"{'y': 3}"` or `"{}"`.
    ///
    /// See ``pythonArgsRepr(_:)`` for how `saferepr` differs from `repr` and how it truncates.
    /// - Parameter kwargs: the keyword arguments.
    /// - Returns: the repr text.
    public static func pythonKwargsRepr(_ kwargs: JSONObject) -> String {
        PythonSafeRepr.render(.value(.object(kwargs)), maxLength: PythonSafeRepr.celeryMaxLength, maxLevels: 3)
    }

    /// Celery's `saferepr` of this value (`celery/utils/saferepr.py`), as used for `argsrepr` and `kwargsrepr`.
    ///
    /// `send_task(args=[1])` makes Celery write the list form, `"[1]"`: that is `JSONValue.array(args).pythonSafeRepr()`.
    /// - Parameters:
    ///   - maxLength: the length budget in characters (Celery's `argsrepr_maxsize`, 1024), or `nil` for none.
    ///   - maxLevels: containers this deep are shown as `[...]` (Celery's `task_repr_maxlevels`, 3); 0 for no limit.
    /// - Returns: the repr text.
    public func pythonSafeRepr(maxLength: Int? = 1024, maxLevels: Int = 3) -> String {
        PythonSafeRepr.render(.value(self), maxLength: maxLength, maxLevels: maxLevels)
    }
}

/// Python's `repr(str)`.
enum PythonStringRepr {
    static func append(_ string: String, to output: inout String) {
        var hasSingle = false
        var hasDouble = false
        var simple = true
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "'"): hasSingle = true
            case UInt8(ascii: "\""): hasDouble = true
            case UInt8(ascii: "\\"), 0..<0x20, 0x7F...: simple = false
            default: break
            }
        }
        let quote: Character = hasSingle && !hasDouble ? "\"" : "'"
        output.append(quote)
        if simple && !(hasSingle && hasDouble) {
            output += string
            output.append(quote)
            return
        }
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "'" where quote == "'": output += "\\'"
            case "\"" where quote == "\"": output += "\\\""
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    output += "\\x" + hex(scalar.value, width: 2)
                } else if scalar.value < 0x7F || isPrintable(scalar) {
                    output.unicodeScalars.append(scalar)
                } else if scalar.value <= 0xFF {
                    output += "\\x" + hex(scalar.value, width: 2)
                } else if scalar.value <= 0xFFFF {
                    output += "\\u" + hex(scalar.value, width: 4)
                } else {
                    output += "\\U" + hex(scalar.value, width: 8)
                }
            }
        }
        output.append(quote)
    }

    /// Python's `str.isprintable` for one character: not in categories Cc, Cf, Cs, Co, Cn, Zl, Zp, Zs (but space).
    static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == " " { return true }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator:
            return false
        default:
            return true
        }
    }

    static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
