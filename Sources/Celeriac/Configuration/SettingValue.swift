/// One setting's raw value, from an environment variable (text) or a configuration file (JSON), with the
/// conversions to Swift types. Every error names the setting, the expected type and the bad value.
struct SettingValue {
    /// Where the value came from.
    enum Raw {
        /// An environment variable's text.
        case text(String)
        /// A JSON configuration file's value.
        case json(JSONValue)
    }

    /// How much of the value an error may show.
    enum Secrecy {
        /// Show it as given.
        case visible
        /// A URL: show it with its password replaced by `***`.
        case url
        /// Show nothing (it may hold passwords).
        case hidden
    }

    /// The setting's name as the user wrote it: `CELERY_TASK_ACKS_LATE`, or `task_acks_late (in app.json)`.
    var name: String
    /// The value.
    var raw: Raw
    /// How much of the value errors may show.
    var secrecy: Secrecy = .visible

    /// The value for error messages.
    var shown: String {
        switch (secrecy, raw) {
        case (.hidden, _): return "(value hidden)"
        case (.url, .text(let text)): return "\"\(ServiceURL.redact(text))\""
        case (.url, .json(.string(let text))): return "\"\(ServiceURL.redact(text))\""
        case (_, .text(let text)): return "\"\(text)\""
        case (_, .json(let value)): return ConfigText.render(value)
        }
    }

    /// An error saying the value is not of the expected type.
    func typeError(_ expected: String) -> CeleriacError {
        CeleriacError(.invalidConfiguration, "\(name) must be \(expected), got \(shown)")
    }

    /// An error about the value with a free-form explanation.
    func error(_ message: String) -> CeleriacError {
        CeleriacError(.invalidConfiguration, "\(name): \(message)")
    }

    /// The text to convert: an environment variable's text or a JSON string, trimmed.
    private var text: String? {
        switch raw {
        case .text(let text): ConfigText.trimmed(text)
        case .json(.string(let text)): ConfigText.trimmed(text)
        case .json: nil
        }
    }

    /// Whether the value means "none": JSON `null`, or the text "", "none" or "null".
    var isNone: Bool {
        if case .json(.null) = raw { return true }
        guard let text else { return false }
        return text.isEmpty || text.lowercased() == "none" || text.lowercased() == "null"
    }

    /// Whether the value is the text "auto" (any case).
    var isAuto: Bool { text?.lowercased() == "auto" }

    /// A boolean, written as JSON `true`/`false` or as Python's `strtobool` accepts it
    /// (true/false, yes/no, on/off, 1/0, any case).
    func bool() throws(CeleriacError) -> Bool {
        let expected = "a boolean (true/false, yes/no, on/off or 1/0)"
        if case .json(let value) = raw {
            if let bool = value.boolValue { return bool }
            if case .int(let i) = value, i == 0 || i == 1 { return i == 1 }
        }
        switch text?.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw typeError(expected)
        }
    }

    /// An integer.
    func int() throws(CeleriacError) -> Int {
        if case .json(let value) = raw, case .int(let i) = value { return i }
        if case .json(.double(let d)) = raw, let i = JSONValue.double(d).intValue { return i }
        guard let text, let value = Int(text) else { throw typeError("an integer") }
        return value
    }

    /// An integer, or `nil` for a none value.
    func optionalInt() throws(CeleriacError) -> Int? {
        isNone ? nil : try int()
    }

    /// A finite number.
    func double() throws(CeleriacError) -> Double {
        if case .json(let value) = raw, let d = value.doubleValue, d.isFinite { return d }
        guard let text, let value = Double(text), value.isFinite else { throw typeError("a number") }
        return value
    }

    /// A number, or `nil` for a none value.
    func optionalDouble() throws(CeleriacError) -> Double? {
        isNone ? nil : try double()
    }

    /// A string, trimmed.
    /// - Parameter acceptNumbers: also take JSON numbers, written back as text (for rate limits: `10`).
    func string(acceptNumbers: Bool = false) throws(CeleriacError) -> String {
        switch raw {
        case .text(let text): return ConfigText.trimmed(text)
        case .json(.string(let text)): return ConfigText.trimmed(text)
        case .json(.int(let i)) where acceptNumbers: return String(i)
        case .json(.double(let d)) where acceptNumbers: return String(d)
        case .json: throw typeError("a string")
        }
    }

    /// A string, or `nil` for JSON `null` or empty text.
    func optionalString() throws(CeleriacError) -> String? {
        if case .json(.null) = raw { return nil }
        let value = try string()
        return value.isEmpty ? nil : value
    }

    /// A list of strings: a JSON array, or text holding a JSON array or comma-separated items.
    func stringList() throws(CeleriacError) -> [String] {
        let expected = "a list of strings (a JSON array or comma-separated names)"
        var items: [JSONValue]
        switch raw {
        case .json(.array(let array)):
            items = array
        case .json(.string(let text)), .text(let text):
            let trimmed = ConfigText.trimmed(text)
            if trimmed.hasPrefix("[") {
                guard let array = try? JSONValue.parse(trimmed).arrayValue else { throw typeError(expected) }
                items = array
            } else {
                items = trimmed.split(separator: ",").map { .string(ConfigText.trimmed($0)) }.filter { $0 != .string("") }
            }
        case .json:
            throw typeError(expected)
        }
        var result: [String] = []
        for item in items {
            guard let string = item.stringValue else { throw typeError(expected) }
            result.append(string)
        }
        return result
    }

    /// A JSON object: a JSON file's object, or text holding one.
    func object() throws(CeleriacError) -> JSONObject {
        switch raw {
        case .json(.object(let object)):
            return object
        case .text(let text), .json(.string(let text)):
            let trimmed = ConfigText.trimmed(text)
            if trimmed.isEmpty { return [:] }
            let parsed: JSONValue
            do {
                parsed = try JSONValue.parse(trimmed)
            } catch {
                let detail = secrecy == .visible ? " (\(error))" : ""
                throw CeleriacError(.invalidConfiguration, "\(name) must be a JSON object, got \(shown)\(detail)")
            }
            guard let object = parsed.objectValue else { throw typeError("a JSON object") }
            return object
        case .json:
            throw typeError("a JSON object")
        }
    }
}
