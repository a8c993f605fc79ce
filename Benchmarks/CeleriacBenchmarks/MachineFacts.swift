import Foundation

/// What the tables were measured on.
enum MachineFacts {
    /// CPUs, CPU model and memory, in one line.
    static var summary: String {
        "\(ProcessInfo.processInfo.activeProcessorCount) CPUs (\(cpuModel)), \(ProcessInfo.processInfo.physicalMemory / 1_073_741_824) GiB RAM, \(sqliteNote)"
    }

    /// The `model name` of `/proc/cpuinfo`.
    static var cpuModel: String {
        guard let text = ProcessStats.readSmallFile("/proc/cpuinfo") else { return "unknown CPU" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return "unknown CPU"
    }

    /// Where the temporary databases live.
    static var sqliteNote: String {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        return "databases in \(base)"
    }
}
