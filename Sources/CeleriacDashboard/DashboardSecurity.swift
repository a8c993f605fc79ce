import Celeriac
import Foundation

/// The dashboard's security rules, kept apart from HTTP so they can be tested alone: authentication,
/// CSRF tokens and HTML escaping.
public enum DashboardSecurity {
    /// The cookie a token login sets.
    public static let tokenCookie = "celeriac_dashboard_token"
    /// The header the page sends its CSRF token in.
    public static let csrfHeader = "X-CSRF-Token"

    /// 32 random bytes as hex.
    public static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// Compares in time that depends only on the lengths, so a token cannot be guessed byte by byte.
    public static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(lhs.utf8), right = Array(rhs.utf8)
        var difference = UInt8(left.count == right.count ? 0 : 1)
        for index in 0..<max(left.count, right.count) {
            let a = index < left.count ? left[index] : 0
            let b = index < right.count ? right[index] : 0
            difference |= a ^ b
        }
        return difference == 0
    }

    /// Whether a request with these `Authorization` and `Cookie` header values may pass.
    public static func isAuthorized(_ authentication: DashboardAuthentication, authorization: String?, cookie: String?) -> Bool {
        switch authentication {
        case .none:
            return true
        case .basic(let user, let password):
            guard let authorization, authorization.lowercased().hasPrefix("basic ") else { return false }
            let encoded = authorization.dropFirst(6).trimmingCharacters(in: .whitespaces)
            guard let data = Data(base64Encoded: encoded), let decoded = String(data: data, encoding: .utf8) else { return false }
            return constantTimeEquals(decoded, "\(user):\(password)")
        case .token(let token):
            if let authorization, authorization.lowercased().hasPrefix("bearer ") {
                return constantTimeEquals(authorization.dropFirst(7).trimmingCharacters(in: .whitespaces), token)
            }
            if let value = cookieValue(tokenCookie, in: cookie) { return constantTimeEquals(value, token) }
            return false
        }
    }

    /// The value of cookie `name` in a `Cookie` header.
    public static func cookieValue(_ name: String, in header: String?) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces)
            guard let equals = pair.firstIndex(of: "="), pair[..<equals] == name else { continue }
            return String(pair[pair.index(after: equals)...])
        }
        return nil
    }

    /// Whether an action request carries the page's CSRF token and does not come from another site.
    /// - Parameters:
    ///   - sent: the `X-CSRF-Token` header.
    ///   - expected: the server's token.
    ///   - fetchSite: the browser's `Sec-Fetch-Site` header, when it sent one.
    public static func isSameOriginAction(sent: String?, expected: String, fetchSite: String?) -> Bool {
        if let fetchSite, fetchSite == "cross-site" || fetchSite == "same-site" { return false }
        guard let sent, !sent.isEmpty else { return false }
        return constantTimeEquals(sent, expected)
    }

    /// Text escaped for HTML element content and quoted attribute values.
    public static func escapeHTML(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A URL with its password replaced by `***` (`redis://:***@host:6379/0`), for showing on the page.
    public static func maskPassword(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].lastIndex(of: "@") else { return url }
        let credentials = url[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return String(url[..<scheme.upperBound]) + credentials[..<colon] + ":***" + url[at...]
    }
}
