import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Reads a process's memory and CPU use from `/proc` (Linux).
enum ProcessStats {
    /// The resident set size (`VmRSS` in `/proc/<pid>/status`) in bytes, or `nil` when unreadable.
    static func residentBytes(pid: Int32) -> Int? {
        guard let text = readSmallFile("/proc/\(pid)/status") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let number = line.dropFirst("VmRSS:".count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first
            return number.flatMap { Int($0) }.map { $0 * 1024 }
        }
        return nil
    }

    /// User plus system CPU time of `pid` in seconds (`utime` + `stime` of `/proc/<pid>/stat`).
    static func cpuSeconds(pid: Int32) -> Double? {
        guard let text = readSmallFile("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
        // After "pid (comm)" the fields start at field 3 (state); utime is field 14, stime field 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(ticksPerSecond)
    }

    /// The bytes `pid` has passed to write calls (`wchar` of `/proc/<pid>/io`), or `nil` when unreadable.
    static func writtenBytes(pid: Int32) -> Int? {
        guard let text = readSmallFile("/proc/\(pid)/io") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("wchar:") {
            return Int(line.dropFirst("wchar:".count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    /// User plus system CPU time of this process in seconds.
    static func ownCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// The clock ticks per second of `/proc/<pid>/stat` times.
    private static let ticksPerSecond: Int = max(1, sysconf(Int32(_SC_CLK_TCK)))

    /// Reads a file that `stat` may report as empty (procfs) to its end.
    static func readSmallFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
