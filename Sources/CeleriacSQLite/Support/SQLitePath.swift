import Foundation

/// File path helpers.
enum SQLitePath {
    /// The absolute path of an existing file with symbolic links resolved, so two spellings of one file
    /// share one registry entry; `path` itself when it cannot be resolved.
    static func canonical(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Seconds since 1970 now, the time unit stored in the database.
    static func now() -> Double { Date().timeIntervalSince1970 }
}
