import Celeriac
import CeleriacTesting
import Foundation
import Testing

@testable import CeleriacPostgres

/// The rows the backend writes are the rows real Celery 5.7 and django-celery-results 2.6 workers wrote
/// (`vectors-sql/12-*`, `13-*`, `21-*`): each captured row is stored again through the backend, as a worker's
/// `ResultMeta`, and `pg_dump --data-only --inserts` must print the same row.
@Suite(.enabled(if: PostgresTesting.vectorsShouldRun), .timeLimit(.minutes(2)))
struct PostgresRowVectorTests {
    /// The `ResultMeta` a worker stores for a captured `celery_taskmeta` row.
    private func celeryMeta(_ row: DumpedRow) throws -> ResultMeta {
        let v = row.values
        func json(_ index: Int) throws -> JSONValue? {
            try DumpedRow.bytes(v[index]).map { try JSONValue.parse($0) }
        }
        var meta = ResultMeta(
            taskID: v[1] ?? "", status: TaskState(rawValue: v[2] ?? ""), result: try json(3) ?? .null, traceback: v[5],
            children: try json(6)?.arrayValue ?? [],
            dateDone: v[4].map { $0.replacingOccurrences(of: " ", with: "T") + "+00:00" })
        if let name = v[7] {
            meta.extended = ResultMeta.Extended(
                name: name, args: try json(8)?.arrayValue ?? [], kwargs: try json(9)?.objectValue ?? [:], worker: v[10],
                retries: v[11].flatMap { Int($0) } ?? 0, queue: v[12])
        }
        return meta
    }

    private func checkCeleryRows(_ file: String) async throws {
        let captured = DumpedRow.parse(
            PostgresTesting.section(try PostgresTesting.vector(file), after: "-- ===== pg_dump --data-only", before: "-- ===== rows with bytea"))
        let tasks = captured.filter { $0.table == "celery_taskmeta" }
        let groups = captured.filter { $0.table == "celery_tasksetmeta" }
        #expect(tasks.count == 12 && groups.count == 1)
        try await PostgresTesting.withBackend(.celery) { backend, server in
            for row in tasks { try await backend.store(try celeryMeta(row)) }
            for row in groups {
                let tuple = try JSONValue.parse(DumpedRow.bytes(row.values[2]) ?? [])
                try await backend.saveGroup(id: row.values[1] ?? "", result: tuple)
            }
            let written = DumpedRow.parse(try await server.dump(database: "results", ["--data-only", "--inserts", "-t", "celery_taskmeta", "-t", "celery_tasksetmeta"]))
            let writtenTasks = written.filter { $0.table == "celery_taskmeta" }
            #expect(writtenTasks.count == tasks.count)
            // Ids from task_id_sequence and date_done to the microsecond: the very same rows.
            for (ours, theirs) in zip(writtenTasks, tasks) {
                #expect(ours == theirs)
            }
            #expect(written.filter { $0.table == "celery_tasksetmeta" }.map(\.comparable) == groups.map(\.comparable))
        }
    }

    @Test func celeryRowsWithoutResultExtended() async throws {
        try await checkCeleryRows("12-celery-db-postgresql-plain.sql")
    }

    @Test func celeryRowsWithResultExtended() async throws {
        try await checkCeleryRows("13-celery-db-postgresql-extended.sql")
    }

    /// The JSON arguments behind the `argsrepr`/`kwargsrepr` texts of the captured django rows.
    private static let arguments: [String: [JSONValue]] = [
        "(2, 3)": [2, 3], "('kaboom',)": ["kaboom"], "(1, 'h\\u00e9llo \\u2603')": [1, "héllo ☃"], "()": [], "(10, 10)": [10, 10],
        "(1, 1)": [1, 1], "(2, 2)": [2, 2], "(3, 3)": [3, 3], "(4, 4)": [4, 4], "([6, 8],)": [[6, 8]], "(5, 5)": [5, 5],
    ]

    @Test func djangoRowsAsAWorkerWithTrackStartedWritesThem() async throws {
        let text = try PostgresTesting.vector("21-django-celery-results-postgresql-rows.txt")
        let captured = DumpedRow.parse(PostgresTesting.section(text, after: "-- ===== pg_dump --data-only --inserts", before: "\u{0}"))
        let tasks = captured.filter { $0.table == "django_celery_results_taskresult" }
        let groups = captured.filter { $0.table == "django_celery_results_groupresult" }
        #expect(tasks.count == 15 && groups.count == 1)
        try await PostgresTesting.withBackend(.django) { backend, server in
            for row in tasks {
                let v = row.values
                let argsText = (try? JSONValue.parse(v[9] ?? "").stringValue) ?? nil
                let args = try #require(argsText.flatMap { Self.arguments[$0.replacingOccurrences(of: "é", with: "\\u00e9").replacingOccurrences(of: "☃", with: "\\u2603")] })
                let kwargs: JSONObject = v[10] == #""{'k': [1.5, None]}""# ? ["k": [1.5, nil]] : [:]
                let extended = ResultMeta.Extended(name: v[11], args: args, kwargs: kwargs, worker: v[12], retries: 0, queue: "celery")
                let meta = try JSONValue.parse(v[8] ?? "{}")
                // A worker with task_track_started stores STARTED first, then the task's own states.
                var started = ResultMeta(taskID: v[1] ?? "", status: .started, result: .object(["pid": .int(7410), "hostname": .string(v[12] ?? "")]))
                started.extended = extended
                try await backend.store(started)
                guard v[2] != "STARTED" else { continue }
                var final = ResultMeta(
                    taskID: v[1] ?? "", status: TaskState(rawValue: v[2] ?? ""), result: try JSONValue.parse(v[5] ?? "null"), traceback: v[7],
                    children: meta.objectValue?["children"]?.arrayValue ?? [])
                final.extended = extended
                try await backend.store(final)
            }
            for row in groups {
                try await backend.saveGroup(id: row.values[1] ?? "", result: try JSONValue.parse(row.values[6] ?? ""))
            }
            let written = DumpedRow.parse(try await server.dump(database: "results", ["--data-only", "--inserts", "-t", "django_celery_results_taskresult", "-t", "django_celery_results_groupresult"]))
            let writtenTasks = written.filter { $0.table == "django_celery_results_taskresult" }.sorted { ($0.values[1] ?? "") < ($1.values[1] ?? "") }
            #expect(writtenTasks.count == tasks.count)
            for (ours, theirs) in zip(writtenTasks, tasks.sorted { ($0.values[1] ?? "") < ($1.values[1] ?? "") }) {
                var expected = theirs.comparable
                // periodic_task_name comes from a message header that ResultMeta does not carry.
                expected[14] = nil
                #expect(ours.comparable == expected)
            }
            #expect(written.filter { $0.table == "django_celery_results_groupresult" }.map(\.comparable) == groups.map(\.comparable))
        }
    }
}
