import Celeriac
import CeleriacTesting
import Foundation
import Testing

@testable import CeleriacPostgres

/// The tables the backend creates are the ones SQLAlchemy and `manage.py migrate` create: `pg_dump
/// --schema-only` equals the captured dump, and creating again changes nothing.
@Suite(.enabled(if: PostgresTesting.vectorsShouldRun), .timeLimit(.minutes(2)))
struct PostgresSchemaTests {
    @Test func celeryTablesAreSQLAlchemysAndCreatedOnce() async throws {
        let captured = try PostgresTesting.vector("12-celery-db-postgresql-plain.sql")
        let expected = PostgresTesting.normalizedDump(
            PostgresTesting.section(captured, after: "-- ===== pg_dump --schema-only", before: "-- ===== pg_dump --data-only"))
        try await PostgresTesting.withBackend(.celery) { backend, server in
            let tables = ["-t", "celery_taskmeta", "-t", "celery_tasksetmeta", "-t", "task_id_sequence", "-t", "taskset_id_sequence"]
            let first = try await server.dump(database: "results", ["--schema-only", "--no-owner"] + tables)
            #expect(PostgresTesting.normalizedDump(first) == expected)

            try await backend.store(ResultMeta(taskID: "keep-me", status: .success, result: 5))
            let again = try await PostgresResultBackend(configuration: backend.configuration)
            #expect(try await again.meta(for: "keep-me")?.result == 5)
            await again.close()
            let second = try await server.dump(database: "results", ["--schema-only", "--no-owner"] + tables)
            #expect(PostgresTesting.normalizedDump(second) == expected)
        }
    }

    @Test func djangoTablesAreTheMigrationsAndRecordedAsApplied() async throws {
        let captured = try PostgresTesting.vector("20-django-celery-results-postgresql-schema.sql")
        let expected = PostgresTesting.normalizedDump(
            PostgresTesting.section(captured, after: "-- ===== pg_dump --schema-only", before: "-- ===== sqlmigrate"))
        try await PostgresTesting.withBackend(.django) { backend, server in
            let dump = try await server.dump(database: "results", ["--schema-only", "--no-owner", "-t", "django_celery_results_*"])
            #expect(PostgresTesting.normalizedDump(dump) == expected)
            let recorded = try await server.psql("SELECT count(*) FROM django_migrations WHERE app = 'django_celery_results'", database: "results")
            #expect(recorded.trimmingCharacters(in: .whitespacesAndNewlines) == "14")

            let again = try await PostgresResultBackend(configuration: backend.configuration)
            await again.close()
            let after = try await server.dump(database: "results", ["--schema-only", "--no-owner", "-t", "django_celery_results_*"])
            #expect(PostgresTesting.normalizedDump(after) == expected)
            let still = try await server.psql("SELECT count(*) FROM django_migrations", database: "results")
            #expect(still.trimmingCharacters(in: .whitespacesAndNewlines) == "14")
        }
    }

    @Test func existingDjangoTablesAreLeftAlone() async throws {
        try await withPostgresServer { server in
            try await server.createDatabase("site")
            // A table a Django project made, with a row and a column Celeriac does not know about.
            try await server.psql(
                """
                CREATE TABLE django_celery_results_taskresult (id serial PRIMARY KEY, task_id varchar(255) UNIQUE NOT NULL, extra text);
                INSERT INTO django_celery_results_taskresult (task_id, extra) VALUES ('old', 'kept')
                """, database: "site")
            let backend = try await PostgresResultBackend(
                configuration: PostgresTesting.configuration(.django, server: server, database: "site"))
            await backend.close()
            let kept = try await server.psql("SELECT extra FROM django_celery_results_taskresult WHERE task_id = 'old'", database: "site")
            #expect(kept.trimmingCharacters(in: .whitespacesAndNewlines) == "kept")
            let migrations = try await server.psql("SELECT to_regclass('django_migrations') IS NULL", database: "site")
            #expect(migrations.trimmingCharacters(in: .whitespacesAndNewlines) == "t")
        }
    }
}
