import Celeriac
import CeleriacSQLite
import Foundation
import Testing

@Suite("Result history")
struct DashboardHistoryTests {
    @Test("SQLite lists stored results newest date_done first, unfinished last, up to the limit")
    func sqliteHistory() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("celeriac-history-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let backend = try await SQLiteResultBackend(path: directory.appendingPathComponent("history.sqlite").path)
        try await backend.store(ResultMeta(taskID: "old", status: .success, result: 1, dateDone: "2026-11-26T09:00:00.000000+00:00"))
        try await backend.store(ResultMeta(taskID: "running", status: .started))
        try await backend.store(ResultMeta(taskID: "new", status: .failure, result: .object(["exc_type": "ValueError", "exc_message": .array(["x"])]), dateDone: "2026-11-26T10:00:00.000000+00:00"))
        try await backend.store(ResultMeta(taskID: "mid", status: .success, result: 2, dateDone: "2026-11-26T09:30:00.000000+00:00",
            extended: .init(name: "tasks.add", args: [1, 1], kwargs: [:], worker: "w", retries: 0, queue: "celery")))
        let all = try await backend.recentResults(limit: 10)
        #expect(all.map(\.taskID) == ["new", "mid", "old", "running"])
        #expect(all[1].extended?.name == "tasks.add" && all[1].extended?.args == [1, 1])
        #expect(try await backend.recentResults(limit: 2).map(\.taskID) == ["new", "mid"])
        #expect(try await backend.recentResults(limit: 0).isEmpty)
        await backend.close()
    }
}

import CeleriacPostgres
import CeleriacTesting
import Logging

@Suite("Result history on PostgreSQL", .enabled(if: PostgresServerProcess.shouldRun, "PostgreSQL not installed"))
struct DashboardPostgresHistoryTests {
    @Test("both layouts list stored results newest date_done first, with their extended fields", arguments: [PostgresResultBackend.Layout.celery, .django])
    func postgresHistory(layout: PostgresResultBackend.Layout) async throws {
        try await withPostgresServer { server in
            try await server.createDatabase("history")
            let configuration = PostgresResultBackend.Configuration(
                layout: layout, host: "127.0.0.1", port: server.port, username: "postgres", database: "history",
                pollInterval: .milliseconds(50), operationTimeout: .seconds(5), logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
            let backend = try await PostgresResultBackend(configuration: configuration)
            do {
                try await backend.store(ResultMeta(taskID: "old", status: .success, result: 1, dateDone: "2026-11-26T09:00:00.000000+00:00"))
                try await backend.store(ResultMeta(taskID: "new", status: .success, result: 3, dateDone: "2026-11-26T10:00:00.000000+00:00",
                    extended: .init(name: "tasks.add", args: [1, 2], kwargs: [:], worker: "w", retries: 0, queue: "celery")))
                try await backend.store(ResultMeta(taskID: "mid", status: .success, result: 2, dateDone: "2026-11-26T09:30:00.000000+00:00"))
                let listed = try await backend.recentResults(limit: 10)
                // Celery's table keeps the worker's date_done; django_celery_results sets it when the row is
                // written (auto_now), so there the last written comes first.
                let expected = layout == .celery ? ["new", "mid", "old"] : ["mid", "new", "old"]
                #expect(listed.map(\.taskID) == expected)
                let new = listed.first { $0.taskID == "new" }
                #expect(new?.extended?.name == "tasks.add" && new?.result == 3)
                #expect(try await backend.recentResults(limit: 1).map(\.taskID) == [expected[0]])
            } catch {
                await backend.close()
                throw error
            }
            await backend.close()
        }
    }
}
