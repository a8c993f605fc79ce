import Foundation

extension Duration {
    /// The duration in (fractional) seconds.
    var secondsValue: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// `time.time()`: the Unix time as a float, the score kombu gives `unacked_index` entries.
func unixTime() -> Double { Date().timeIntervalSince1970 }
