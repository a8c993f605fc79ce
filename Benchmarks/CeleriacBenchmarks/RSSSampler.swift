import Synchronization

/// Samples the resident set size of some processes at a fixed interval and keeps each one's peak.
final class RSSSampler: Sendable {
    /// The processes sampled.
    let pids: [Int32]
    private let peaks: Mutex<[Int32: Int]>

    init(pids: [Int32]) {
        self.pids = pids
        self.peaks = Mutex(Dictionary(uniqueKeysWithValues: pids.map { ($0, 0) }))
    }

    /// Takes one sample of every process.
    func sample() {
        let values = pids.map { ($0, ProcessStats.residentBytes(pid: $0) ?? 0) }
        peaks.withLock { peaks in
            for (pid, bytes) in values { peaks[pid] = max(peaks[pid] ?? 0, bytes) }
        }
    }

    /// Samples every `interval` until the calling task is cancelled.
    func run(every interval: Duration) async {
        while !Task.isCancelled {
            sample()
            do { try await Task.sleep(for: interval) } catch { break }
        }
        sample()
    }

    /// The peak seen for each process, in the order of ``pids``.
    var peakBytes: [Int] {
        peaks.withLock { peaks in pids.map { peaks[$0] ?? 0 } }
    }
}
