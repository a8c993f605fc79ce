import Celeriac
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

extension PostgresResultBackend {
    /// Opens one connection and closes it, so a wrong password, a missing database or an unreachable server
    /// is reported when the backend starts instead of as time-outs later (the pool retries connecting
    /// forever).
    static func checkConnection(_ configuration: Configuration) async throws {
        let options = PostgresConnection.Configuration(
            host: configuration.host, port: configuration.port, username: configuration.username,
            password: configuration.password, database: configuration.database, tls: .disable)
        var connectOptions = options
        connectOptions.options.connectTimeout = .nanoseconds(Int64(clamping: configuration.operationTimeout.components.seconds * 1_000_000_000))
        let group = MultiThreadedEventLoopGroup.singleton
        do {
            let connection = try await PostgresConnection.connect(
                on: group.next(), configuration: connectOptions, id: 0, logger: silent
            ).get()
            try? await connection.close()
        } catch {
            throw describe(error, configuration: configuration, while: "connecting")
        }
    }

    /// Whether the error means the connection died (a server restart or shutdown), so that the operation
    /// may be tried again on a new connection.
    static func isConnectionLoss(_ error: PSQLError) -> Bool {
        switch error.code {
        case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown: return true
        case .server:
            // admin_shutdown, crash_shutdown, cannot_connect_now: the server is stopping or starting.
            let state = error.serverInfo?[.sqlState] ?? ""
            return state == "57P01" || state == "57P02" || state == "57P03"
        default: return false
        }
    }

    /// A ``CeleriacError`` naming the setting, the URL without its password, and PostgreSQL's own message
    /// (postgres-nio's `PSQLError` hides it from its description).
    static func describe(_ error: any Error, configuration: Configuration, while what: String) -> CeleriacError {
        if let error = error as? CeleriacError { return error }
        let prefix = "\(configuration.settingName) \(configuration.displayURL)"
        guard let psql = error as? PSQLError else {
            return CeleriacError(.backendFailure, "\(prefix): PostgreSQL failed while \(what): \(error)", underlying: error)
        }
        let state = psql.serverInfo?[.sqlState] ?? ""
        let message = psql.serverInfo?[.message] ?? ""
        switch (psql.code, state) {
        case (.server, "28P01"), (.server, "28000"):
            return CeleriacError(
                .invalidConfiguration,
                "\(prefix): PostgreSQL refused the credentials of user \"\(configuration.username)\" (wrong user name or password): \(message)",
                underlying: error)
        case (.server, "3D000"):
            return CeleriacError(.invalidConfiguration, "\(prefix): \(message) (create it, or fix the database name in the URL)", underlying: error)
        case (.authMechanismRequiresPassword, _):
            return CeleriacError(
                .invalidConfiguration, "\(prefix): PostgreSQL asks user \"\(configuration.username)\" for a password and the URL has none",
                underlying: error)
        case (.server, _):
            return CeleriacError(.backendFailure, "\(prefix): PostgreSQL failed while \(what): \(message) (SQLSTATE \(state))", underlying: error)
        case (.connectionError, _):
            let cause = psql.underlying.map { "\($0)" } ?? "connection failed"
            return CeleriacError(
                .backendFailure, "\(prefix): cannot connect to PostgreSQL at \(configuration.host):\(configuration.port) (\(cause))", underlying: error)
        default:
            return CeleriacError(.backendFailure, "\(prefix): PostgreSQL failed while \(what) (\(psql.code))", underlying: error)
        }
    }
}
