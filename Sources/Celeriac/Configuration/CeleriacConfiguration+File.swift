import Foundation

extension CeleriacConfiguration {
    /// Reads a JSON configuration file with Celery's lowercase setting names, on top of `base`.
    ///
    /// ```json
    /// {
    ///   "broker_url": "redis://localhost:6379/0",
    ///   "task_acks_late": true,
    ///   "task_routes": {"tasks.add": {"queue": "math"}, "images.*": "media"},
    ///   "broker_transport_options": {"visibility_timeout": 600}
    /// }
    /// ```
    /// Values are JSON values of the setting's type (strings such as `"yes"` or `"4"` are also read as the
    /// environment reads them). Celeriac's own settings are `celeriac_dead_letter`, `celeriac_max_message_size`
    /// and `celeriac_worker_hostname`. A Celery setting Celeriac does not implement (`worker_pool`,
    /// `beat_scheduler`...) is listed in ``unrecognizedKeys``; any other key is an error, to catch typos.
    ///
    /// - Parameters:
    ///   - path: the file's path.
    ///   - base: the configuration the file is applied to.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/invalidConfiguration``) when the file cannot be read,
    ///   is not a JSON object, has an unknown key (naming the closest known one) or a value of the wrong type.
    public init(contentsOfFile path: String, base: CeleriacConfiguration = .init()) throws(CeleriacError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CeleriacError(.invalidConfiguration, "Cannot read the configuration file \(path)")
        }
        let text = String(decoding: data, as: UTF8.self)
        let parsed: JSONValue
        do {
            parsed = try JSONValue.parse(text)
        } catch {
            throw CeleriacError(.invalidConfiguration, "The configuration file \(path) is not valid JSON: \(error)")
        }
        guard let object = parsed.objectValue else {
            throw CeleriacError(.invalidConfiguration, "The configuration file \(path) must hold a JSON object of settings, got \(ConfigText.render(parsed))")
        }
        try self.init(settings: object, source: path, base: base)
    }

    /// Reads settings given as a JSON object with Celery's lowercase names, on top of `base`.
    ///
    /// This is what ``init(contentsOfFile:base:)`` does after reading the file.
    /// - Parameters:
    ///   - settings: setting names to values.
    ///   - source: where the settings come from, for error messages (a file path).
    ///   - base: the configuration the settings are applied to.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/invalidConfiguration``) for an unknown key (naming the
    ///   closest known one) or a value of the wrong type.
    public init(settings: JSONObject, source: String = "settings", base: CeleriacConfiguration = .init()) throws(CeleriacError) {
        self = base
        for (key, value) in settings {
            if let setting = Setting.byKey[key] {
                try setting.apply(&self, setting.value(.json(value), name: "\(key) (in \(source))"))
            } else if CelerySettingNames.all.contains(key) {
                if !unrecognizedKeys.contains(key) { unrecognizedKeys.append(key) }
            } else {
                throw CeleriacError(.invalidConfiguration, "Unknown setting \"\(key)\" in \(source)\(Self.suggestion(for: key))")
            }
        }
    }

    /// Every lowercase setting name Celeriac reads.
    public static var settingNames: [String] { Setting.all.map(\.key) }

    /// " Did you mean ...?" for an unknown key, or an empty string.
    static func suggestion(for key: String) -> String {
        var lowered = key.lowercased()
        if Setting.byKey[lowered] == nil, lowered.hasPrefix("celery_") {
            lowered.removeFirst("celery_".count)
        }
        if Setting.byKey[lowered] != nil, lowered != key {
            return "; did you mean \"\(lowered)\"? (configuration files use Celery's lowercase setting names)"
        }
        let candidates = Setting.all.map(\.key) + CelerySettingNames.all.sorted()
        guard let closest = ConfigText.closest(to: lowered, in: candidates) else { return "" }
        return "; did you mean \"\(closest)\"?"
    }
}
