import Celeriac
import CeleriacTesting
import Foundation
import Testing

@testable import CeleriacPostgres

/// Storing, reading, waiting, forgetting and expiring results on a real PostgreSQL, in both layouts.
@Suite(.enabled(if: PostgresServerProcess.shouldRun), .timeLimit(.minutes(2)))
struct PostgresResultBackendTests {
    static let layouts: [PostgresResultBackend.Layout] = [.celery, .django]

    @Test(arguments: layouts) func storesAndReadsBackEveryState(_ layout: PostgresResultBackend.Layout) async throws {
        try await PostgresTesting.withBackend(layout) { backend, _ in
            #expect(try await backend.meta(for: "nobody") == nil)
            let done = "2026-11-26T03:51:03.803034+00:00"
            let failure: JSONValue = .object(["exc_type": "ValueError", "exc_message": ["kaboom"], "exc_module": "builtins"])
            var meta = ResultMeta(taskID: "t1", status: .failure, result: failure, traceback: "Traceback ...\nValueError: kaboom\n", dateDone: done)
            meta.extended = .init(name: "tasks.fail", args: ["kaboom"], kwargs: [:], worker: "w@h", retries: 0, queue: "celery")
            try await backend.store(meta)
            let read = try #require(try await backend.meta(for: "t1"))
            #expect(read.status == .failure)
            #expect(read.result == failure)
            #expect(read.traceback == "Traceback ...\nValueError: kaboom\n")
            // django-celery-results' date_done is the time of the save (auto_now), Celery's the meta's date_done.
            if layout == .celery { #expect(read.dateDone == done) } else { #expect(read.dateDone != nil) }
            #expect(read.extended?.name == "tasks.fail")
            #expect(read.extended?.worker == "w@h")
            if layout == .celery { #expect(read.extended?.args == ["kaboom"]) }

            try await backend.store(ResultMeta(taskID: "t2", status: .retry, result: failure, children: [[["t2", nil], nil]]))
            let retry = try #require(try await backend.meta(for: "t2"))
            #expect(retry.status == .retry)
            #expect(retry.dateDone == nil)
            #expect(retry.children == [[["t2", nil], nil]])

            try await backend.store(ResultMeta(taskID: "t3", status: .success, result: .object(["args": [1, "héllo ☃"]]), dateDone: done))
            #expect(try await backend.meta(for: "t3")?.result == .object(["args": [1, "héllo ☃"]]))
        }
    }

    @Test(arguments: layouts) func successIsNeverOverwritten(_ layout: PostgresResultBackend.Layout) async throws {
        try await PostgresTesting.withBackend(layout) { backend, _ in
            try await backend.store(ResultMeta(taskID: "t", status: .started, result: .object(["pid": 1])))
            try await backend.store(ResultMeta(taskID: "t", status: .success, result: 5, dateDone: "2026-11-26T03:51:03+00:00"))
            try await backend.store(ResultMeta(taskID: "t", status: .failure, result: .object(["exc_type": "X"]), dateDone: "2026-11-26T03:52:03+00:00"))
            let meta = try #require(try await backend.meta(for: "t"))
            #expect(meta.status == .success)
            #expect(meta.result == 5)
            if layout == .celery { #expect(meta.dateDone == "2026-11-26T03:51:03+00:00") }
        }
    }

    @Test(arguments: layouts) func waitForReadySeesAnotherConnectionsStore(_ layout: PostgresResultBackend.Layout) async throws {
        try await PostgresTesting.withBackend(layout) { backend, _ in
            let writer = try await PostgresResultBackend(configuration: backend.configuration)
            let clock = ContinuousClock()
            let start = clock.now
            async let waited = backend.waitForReady(taskID: "w", timeout: .seconds(20))
            try await Task.sleep(for: .milliseconds(300))
            try await writer.store(ResultMeta(taskID: "w", status: .started))
            try await Task.sleep(for: .milliseconds(200))
            try await writer.store(ResultMeta(taskID: "w", status: .success, result: "done"))
            let meta = try await waited
            #expect(meta?.status == .success)
            #expect(meta?.result == "done")
            #expect(clock.now - start < .seconds(15))
            // A timeout returns the last state seen.
            try await writer.store(ResultMeta(taskID: "slow", status: .started))
            let last = try await backend.waitForReady(taskID: "slow", timeout: .milliseconds(300))
            #expect(last?.status == .started)
            #expect(try await backend.waitForReady(taskID: "never", timeout: .milliseconds(100)) == nil)
            await writer.close()
        }
    }

    @Test(arguments: layouts) func forgetDeletesTheRow(_ layout: PostgresResultBackend.Layout) async throws {
        try await PostgresTesting.withBackend(layout) { backend, _ in
            try await backend.store(ResultMeta(taskID: "f", status: .success, result: 1))
            try await backend.forget(taskID: "f")
            #expect(try await backend.meta(for: "f") == nil)
            try await backend.forget(taskID: "f")
        }
    }

    @Test func celeryExpiryKeepsRowsWithoutDateDoneAsCeleryDoes() async throws {
        try await PostgresTesting.withBackend(.celery, configure: { $0.resultExpires = .seconds(3600) }) { backend, server in
            try await backend.store(ResultMeta(taskID: "old", status: .success, result: 1))
            try await backend.store(ResultMeta(taskID: "new", status: .success, result: 2))
            try await backend.store(ResultMeta(taskID: "retry", status: .retry, result: nil))
            try await backend.saveGroup(id: "g-old", result: [["g-old", nil], []])
            try await server.psql("UPDATE celery_taskmeta SET date_done = date_done - interval '2 hours' WHERE task_id = 'old'", database: "results")
            try await server.psql("UPDATE celery_tasksetmeta SET date_done = date_done - interval '2 hours'", database: "results")
            #expect(try await backend.deleteExpired() == 2)
            #expect(try await backend.meta(for: "old") == nil)
            #expect(try await backend.meta(for: "new")?.result == 2)
            #expect(try await backend.meta(for: "retry")?.status == .retry)
            #expect(try await backend.restoreGroup(id: "g-old") == nil)
            #expect(try await backend.deleteExpired() == 0)
        }
    }

    @Test func djangoExpiryUsesDateDoneOfEverySave() async throws {
        try await PostgresTesting.withBackend(.django, configure: { $0.resultExpires = .seconds(3600) }) { backend, server in
            try await backend.store(ResultMeta(taskID: "old", status: .started))
            try await backend.store(ResultMeta(taskID: "new", status: .success, result: 2))
            try await server.psql("UPDATE django_celery_results_taskresult SET date_done = date_done - interval '2 hours' WHERE task_id = 'old'", database: "results")
            #expect(try await backend.deleteExpired() == 1)
            #expect(try await backend.meta(for: "old") == nil)
            #expect(try await backend.meta(for: "new") != nil)
        }
    }

    /// A beat-sent task carries `periodic_task_name` (django-celery-beat's header, stamped by Celeriac's beat too);
    /// django-celery-results stores it with `result_extended`, so Django's admin can filter by schedule.
    @Test func djangoStoresThePeriodicTaskName() async throws {
        try await PostgresTesting.withBackend(.django) { backend, server in
            var meta = ResultMeta(taskID: "beat-1", status: .success, result: 3)
            meta.extended = ResultMeta.Extended(
                name: "tasks.add", args: [1, 2], kwargs: [:], worker: "w@h", retries: 0, queue: "celery", periodicTaskName: "add-every-10s")
            try await backend.store(meta)
            try await backend.store(ResultMeta(taskID: "plain-1", status: .success, result: 3))
            let rows = try await server.psql(
                "SELECT task_id || '=' || coalesce(periodic_task_name, 'NULL') FROM django_celery_results_taskresult ORDER BY task_id",
                database: "results")
            #expect(rows.split(separator: "\n").map(String.init) == ["beat-1=add-every-10s", "plain-1=NULL"])
        }
    }

    /// `16-celery-db-postgresql-timezone-hazard.txt`: Celery stores the session TimeZone's wall time in the naive
    /// `date_done`; Celeriac writes UTC whatever the TimeZone.
    @Test func dateDoneIsUTCWhateverTheSessionTimeZone() async throws {
        try await withPostgresServer { server in
            try await server.createDatabase("tz")
            try await server.psql("ALTER DATABASE tz SET timezone TO 'America/New_York'")
            for layout in Self.layouts {
                let backend = try await PostgresResultBackend(configuration: PostgresTesting.configuration(layout, server: server, database: "tz"))
                let done = "2026-11-26T03:51:56.652963+00:00"
                try await backend.store(ResultMeta(taskID: "tz-\(layout)", status: .success, result: 42, dateDone: done))
                if layout == .celery {
                    let stored = try await server.psql("SELECT date_done FROM celery_taskmeta WHERE task_id = 'tz-celery'", database: "tz")
                    #expect(stored.trimmingCharacters(in: .whitespacesAndNewlines) == "2026-11-26 03:51:56.652963")
                    #expect(try await backend.meta(for: "tz-celery")?.dateDone == done)
                } else {
                    let age = try await server.psql(
                        "SELECT abs(extract(epoch FROM now() - date_done)) < 60 FROM django_celery_results_taskresult WHERE task_id = 'tz-django'", database: "tz")
                    #expect(age.trimmingCharacters(in: .whitespacesAndNewlines) == "t")
                    let read = try #require(try await backend.meta(for: "tz-django")?.dateDone)
                    let date = try #require(CeleryTimestamp.parse(read))
                    #expect(abs(date.timeIntervalSinceNow) < 60)
                }
                await backend.close()
            }
        }
    }
}
