/// A task rate limit parsed from Celery's rate strings (`celery.utils.time.rate`).
///
/// | Text | Tokens per second |
/// |------|-------------------|
/// | `"10/s"`, `"10"` | 10 |
/// | `"100/m"` | 100 / 60 |
/// | `"1000/h"` | 1000 / 3600 |
/// | `"0.5/s"` | 0.5 |
/// | `"0"`, `""`, `"0/m"` | no limit |
///
/// Celery reads the unit strictly (`s`, `m` or `h`, lowercase), so Celeriac does too: a string Celery
/// rejects is rejected here as well.
public struct RateLimit: Sendable, Hashable, CustomStringConvertible {
    /// The allowed rate in tasks per second; `0` means no limit.
    public let tokensPerSecond: Double
    /// The text it was parsed from (or made from).
    public let text: String

    /// No limit.
    public static let unlimited = RateLimit(checkedTokensPerSecond: 0, text: "0")

    /// Whether this is no limit at all.
    public var isUnlimited: Bool { tokensPerSecond == 0 }

    /// The rate as written (`"10/m"`), or "no limit".
    public var description: String { isUnlimited ? "no limit" : text }

    /// Parses a Celery rate string.
    ///
    /// - Parameter text: `"N/s"`, `"N/m"`, `"N/h"` or a bare number `N` (per second), with `N` a
    ///   non-negative number; `"0"` and `""` mean no limit.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/invalidConfiguration``) "Invalid rate limit string: ..."
    ///   when the number or the unit is not one Celery accepts.
    public init(_ text: String) throws(CeleriacError) {
        let trimmed = ConfigText.trimmed(text)
        guard !trimmed.isEmpty else {
            self = .unlimited
            return
        }
        let parts = trimmed.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let numberText = ConfigText.trimmed(parts[0])
        let unit = parts.count > 1 ? String(parts[1]) : "s"
        let divisor: Double
        switch unit {
        case "s": divisor = 1
        case "m": divisor = 60
        case "h": divisor = 3600
        default:
            throw CeleriacError(
                .invalidConfiguration,
                "Invalid rate limit string: \"\(text)\" (unit \"\(unit)\" is not s, m or h; write it like \"10/s\", \"100/m\" or \"1000/h\")"
            )
        }
        guard let count = Double(numberText), count.isFinite, count >= 0 else {
            throw CeleriacError(
                .invalidConfiguration,
                "Invalid rate limit string: \"\(text)\" (expected a non-negative number of tasks, like \"10/s\", \"100/m\" or \"1000/h\")"
            )
        }
        self.init(checkedTokensPerSecond: count / divisor, text: trimmed)
    }

    /// Creates a rate limit from a number of tasks per second.
    ///
    /// - Parameter tokensPerSecond: the rate; `0` means no limit.
    /// - Throws: ``CeleriacError`` when the rate is negative, infinite or NaN.
    public init(tokensPerSecond: Double) throws(CeleriacError) {
        guard tokensPerSecond.isFinite, tokensPerSecond >= 0 else {
            throw CeleriacError(.invalidConfiguration, "Invalid rate limit: \(tokensPerSecond) tasks per second (expected a non-negative number)")
        }
        self.init(checkedTokensPerSecond: tokensPerSecond, text: "\(tokensPerSecond)/s")
    }

    private init(checkedTokensPerSecond: Double, text: String) {
        self.tokensPerSecond = checkedTokensPerSecond
        self.text = text
    }

    /// Parses an optional rate string, treating `nil` like `""`.
    ///
    /// - Parameter text: a Celery rate string or `nil`.
    /// - Returns: `nil` when there is no limit (`nil`, `""`, `"0"`), otherwise the limit.
    /// - Throws: as ``init(_:)``.
    public static func parse(_ text: String?) throws(CeleriacError) -> RateLimit? {
        guard let text else { return nil }
        let limit = try RateLimit(text)
        return limit.isUnlimited ? nil : limit
    }
}
