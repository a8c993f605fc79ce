import Foundation

/// A fresh temporary directory for one benchmark's SQLite files, removed by ``remove()``.
struct BenchDirectory: Sendable {
    /// The directory's path.
    let path: String

    /// Creates `$TMPDIR/celeriac-bench-<random>`.
    init() throws {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        let path = base + "/celeriac-bench-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        self.path = path
    }

    /// The path of a database file in the directory.
    func database(_ name: String) -> String {
        path + "/" + name + ".sqlite"
    }

    /// Deletes the directory and everything in it.
    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
