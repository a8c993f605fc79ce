import Celeriac
import CeleriacPostgres
import Foundation
import Logging

extension CeleriacConnections {
    /// The PostgreSQL result backend for `db+postgresql://` (Celery's tables) or `django-db`
    /// (django-celery-results' tables): `django-db+postgresql://user:pw@host/db`, or `django-db` with the
    /// database in the `CELERIAC_DJANGO_DATABASE_URL` environment variable.
    static func openPostgresBackend(_ url: ServiceURL, configuration: CeleriacConfiguration, logger: Logger) async throws -> any ResultBackend {
        var options = try PostgresResultBackend.Configuration(
            url: url, databaseURL: ProcessInfo.processInfo.environment["CELERIAC_DJANGO_DATABASE_URL"])
        options.resultExpires = configuration.resultExpires.flatMap { $0 > 0 ? .seconds($0) : nil }
        options.logger = logger
        return try await PostgresResultBackend(configuration: options)
    }
}
