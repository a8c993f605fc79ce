import Celeriac
import Foundation
import Logging

/// How the dashboard serves and what it reads.
public struct DashboardConfiguration: Sendable {
    /// The address to bind; `127.0.0.1` by default, so only this machine can reach it.
    public var host = "127.0.0.1"
    /// The port; 5555 by default (Flower's), `0` picks a free one.
    public var port = 5555
    /// Who may use it; required when ``host`` is not a loopback address.
    public var authentication: DashboardAuthentication = .none
    /// How many tasks the in-memory state keeps.
    public var maxTasks = 10_000
    /// How many results are read from the result backend's history at start and on each refresh.
    public var historyLimit = 1_000
    /// How often the history is read again.
    public var historyInterval: Duration = .seconds(60)
    /// How often workers are asked for `stats` and `active`.
    public var inspectInterval: Duration = .seconds(5)
    /// How long one server-sent events response stays open before the browser reconnects.
    public var liveConnectionLifetime: Duration = .seconds(60)
    /// The broker URL shown on the page (its password is masked).
    public var brokerDescription = ""
    /// The CSRF token pages must send back with every action; random by default.
    public var csrfToken: String = DashboardSecurity.randomToken()
    /// Where the dashboard logs.
    public var logger = Logger(label: "celeriac.dashboard")

    /// Creates the default configuration.
    public init() {}

    /// Whether `host` only accepts connections from this machine.
    public static func isLoopback(_ host: String) -> Bool {
        let trimmed = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return trimmed == "localhost" || trimmed == "::1" || trimmed.hasPrefix("127.")
    }

    /// Checks the configuration: a non-loopback address needs authentication.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/invalidConfiguration``) when it is not safe to start.
    public func validate() throws {
        guard (0...65_535).contains(port) else {
            throw CeleriacError(.invalidConfiguration, "dashboard port \(port) is not in 0...65535")
        }
        if !Self.isLoopback(host), case .none = authentication {
            throw CeleriacError(
                .invalidConfiguration,
                "the dashboard would listen on \(host) without authentication: anyone who reaches it could revoke tasks and purge queues; add --basic-auth user:password or --token TOKEN, or bind 127.0.0.1")
        }
        if case .basic(let user, let password) = authentication, user.isEmpty || password.isEmpty || user.contains(":") {
            throw CeleriacError(.invalidConfiguration, "--basic-auth needs user:password with a non-empty user (without ':') and password")
        }
        if case .token(let token) = authentication, token.count < 8 {
            throw CeleriacError(.invalidConfiguration, "--token must be at least 8 characters")
        }
    }
}

/// Who may use the dashboard.
public enum DashboardAuthentication: Sendable, Hashable {
    /// Anyone who can connect (only allowed on a loopback address).
    case none
    /// HTTP basic authentication with one user.
    case basic(user: String, password: String)
    /// A bearer token (`Authorization: Bearer <token>`, or once `/?token=<token>` which sets a cookie).
    case token(String)

    /// Parses `user:password` for `--basic-auth`.
    public static func basic(_ text: String) throws -> DashboardAuthentication {
        guard let colon = text.firstIndex(of: ":") else {
            throw CeleriacError(.invalidConfiguration, "--basic-auth must be user:password")
        }
        return .basic(user: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
    }
}
