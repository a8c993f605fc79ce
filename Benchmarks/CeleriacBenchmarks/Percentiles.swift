/// Latency percentiles from a list of samples (sorted once; nearest-rank method).
struct Percentiles: Sendable {
    private let sorted: [Duration]

    /// Creates the percentiles of `samples`.
    init(_ samples: [Duration]) {
        sorted = samples.sorted()
    }

    /// The number of samples.
    var count: Int { sorted.count }

    /// The sample at quantile `q` (0...1), nearest rank; `.zero` without samples.
    func value(at q: Double) -> Duration {
        guard !sorted.isEmpty else { return .zero }
        let rank = Int((q * Double(sorted.count)).rounded(.up))
        return sorted[Swift.min(sorted.count - 1, Swift.max(0, rank - 1))]
    }

    /// How many samples exceed `limit`.
    func count(over limit: Duration) -> Int {
        sorted.count - sorted.partitioningIndex { $0 > limit }
    }

    /// The largest sample.
    var max: Duration { sorted.last ?? .zero }

    /// The mean.
    var mean: Duration {
        guard !sorted.isEmpty else { return .zero }
        return sorted.reduce(Duration.zero, +) / sorted.count
    }
}

extension Array where Element == Duration {
    /// The index of the first element for which `predicate` holds, in an array where it holds for a suffix.
    fileprivate func partitioningIndex(where predicate: (Duration) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if predicate(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
