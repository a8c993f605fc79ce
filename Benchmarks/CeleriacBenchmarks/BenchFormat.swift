import Foundation

/// Number formatting for the tables.
enum BenchFormat {
    /// An integer with thousands separators: `20,000`.
    static func integer(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return value < 0 ? "-" + out : out
    }

    /// A rate rounded to an integer, with separators.
    static func rate(_ value: Double) -> String {
        value.isFinite ? integer(Int(value.rounded())) : "-"
    }

    /// A number with `digits` decimals.
    static func decimal(_ value: Double, _ digits: Int = 2) -> String {
        String(format: "%.\(digits)f", value)
    }

    /// Bytes as mebibytes with one decimal.
    static func megabytes(_ bytes: Int) -> String {
        String(format: "%.1f MB", Double(bytes) / 1_048_576)
    }

    /// A duration in milliseconds with `digits` decimals.
    static func milliseconds(_ duration: Duration, _ digits: Int = 3) -> String {
        decimal(duration.seconds * 1000, digits)
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
