import Celeriac
import Foundation
import Logging

extension PostgresResultBackend {
    /// Which tables the backend reads and writes.
    public enum Layout: String, Sendable, Hashable {
        /// Celery's database backend (`db+postgresql://`): `celery_taskmeta` and `celery_tasksetmeta`, results
        /// as JSON bytes in `bytea` columns, `date_done` as naive UTC.
        case celery
        /// django-celery-results (`django-db`): `django_celery_results_taskresult`, `_groupresult` and
        /// `_chordcounter`, results as JSON text with `content_type`/`content_encoding`, `timestamptz` dates.
        case django
    }

    /// Settings of a ``PostgresResultBackend``.
    public struct Configuration: Sendable {
        /// The tables to use.
        public var layout: Layout
        /// The server's host name or address.
        public var host: String
        /// The server's port (5432 by default).
        public var port: Int
        /// The user name (`postgres` when the URL names none, as libpq does for root).
        public var username: String
        /// The password, if any. Never logged or shown in errors.
        public var password: String?
        /// The database name; `nil` uses the user name, as PostgreSQL does.
        public var database: String?
        /// How long a stored result is kept before ``PostgresResultBackend/deleteExpired()`` removes it
        /// (Celery's `result_expires`, one day by default); `nil` keeps results forever.
        public var resultExpires: Duration?
        /// How often ``PostgresResultBackend/waitForReady(taskID:timeout:)`` reads the row (Celery polls too;
        /// 200 ms by default, Celery's `AsyncResult.get` uses 500 ms).
        public var pollInterval: Duration
        /// How long one operation may take, connecting included, before it fails with
        /// ``CeleriacError/Code/backendFailure`` (10 s by default): while the server is down operations fail
        /// instead of hanging, and the worker retries storing a result as Celery does.
        public var operationTimeout: Duration
        /// The most connections the pool opens (4 by default).
        public var maximumConnections: Int
        /// Whether missing tables are created at start (Celery's `database_create_tables_at_setup`).
        public var createTables: Bool
        /// The setting named in errors (`result_backend`).
        public var settingName: String
        /// The URL as shown in errors and logs, without the password.
        public var displayURL: String
        /// Where the backend logs. Logs nothing by default.
        public var logger: Logger

        /// Creates a configuration.
        public init(
            layout: Layout, host: String = "localhost", port: Int = 5432, username: String = "postgres", password: String? = nil,
            database: String? = nil, resultExpires: Duration? = .seconds(86400), pollInterval: Duration = .milliseconds(200),
            operationTimeout: Duration = .seconds(10), maximumConnections: Int = 4, createTables: Bool = true,
            settingName: String = "result_backend", displayURL: String? = nil,
            logger: Logger = Logger(label: "celeriac.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
        ) {
            self.layout = layout
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.database = database
            self.resultExpires = resultExpires
            self.pollInterval = pollInterval
            self.operationTimeout = operationTimeout
            self.maximumConnections = maximumConnections
            self.createTables = createTables
            self.settingName = settingName
            self.displayURL = displayURL ?? "postgresql://\(username)@\(host):\(port)/\(database ?? username)"
            self.logger = logger
        }

        /// The settings a result backend URL gives.
        ///
        /// - `db+postgresql://user:pw@host:port/db` (also `db+postgresql+psycopg2://`, `db+postgresql+psycopg://`):
        ///   Celery's layout.
        /// - `django-db+postgresql://user:pw@host:port/db`: django-celery-results' layout on that database.
        /// - `django-db` alone: django-celery-results' layout on the database of `databaseURL` (the
        ///   `CELERIAC_DJANGO_DATABASE_URL` setting: `postgresql://user:pw@host:port/db`).
        /// - Throws: ``CeleriacError`` (``CeleriacError/Code/invalidConfiguration``) for another scheme, or
        ///   `django-db` without a database URL, or a database URL that does not parse.
        public init(url: ServiceURL, databaseURL: String? = nil, settingName: String = "result_backend") throws {
            var source = url
            let layout: Layout
            switch url.scheme {
            case .dbPostgresql: layout = .celery
            case .djangoDB:
                layout = .django
                if url.driver == nil {
                    guard let databaseURL, !databaseURL.isEmpty else {
                        throw CeleriacError(
                            .invalidConfiguration,
                            "\(settingName) django-db: no database to use; write django-db+postgresql://user:password@host:5432/dbname, or set CELERIAC_DJANGO_DATABASE_URL=postgresql://user:password@host:5432/dbname (the database of Django's DATABASES['default'])"
                        )
                    }
                    source = try Self.parseDatabaseURL(databaseURL)
                } else if url.driver?.hasPrefix("postgres") != true {
                    throw CeleriacError(.invalidConfiguration, "\(settingName) \(url): django-db needs a PostgreSQL database (django-db+postgresql://...)")
                }
            default:
                throw CeleriacError(.invalidConfiguration, "\(settingName) \(url): not a PostgreSQL result backend URL")
            }
            let username = source.user ?? "postgres"
            let database = source.path.isEmpty ? nil : source.path
            self.init(
                layout: layout, host: source.host ?? "localhost", port: source.port ?? 5432, username: username,
                password: source.password, database: database, settingName: settingName,
                displayURL: layout == .django && url.driver == nil ? "django-db (CELERIAC_DJANGO_DATABASE_URL=\(source))" : "\(url)")
        }

        /// Parses `postgresql://` / `postgres://` (Django's `dj-database-url` style) or `db+postgresql://`.
        static func parseDatabaseURL(_ text: String) throws -> ServiceURL {
            var normalized = text.trimmingCharacters(in: .whitespaces)
            for prefix in ["postgresql://", "postgres://", "django-db+postgresql://"] where normalized.lowercased().hasPrefix(prefix) {
                normalized = "db+postgresql://" + normalized.dropFirst(prefix.count)
            }
            let url: ServiceURL
            do {
                url = try ServiceURL(normalized)
            } catch {
                throw CeleriacError(.invalidConfiguration, "CELERIAC_DJANGO_DATABASE_URL: \(error.message)")
            }
            guard url.scheme == .dbPostgresql else {
                throw CeleriacError(
                    .invalidConfiguration, "CELERIAC_DJANGO_DATABASE_URL \(ServiceURL.redact(text)): expected postgresql://user:password@host:5432/dbname")
            }
            return url
        }
    }
}
