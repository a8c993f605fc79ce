import Celeriac
import Foundation
import Testing

@testable import CeleriacSQLite

@Suite struct SQLiteResultBackendTests {
    private func withBackend<T>(
        _ configuration: SQLiteResultBackend.Configuration = .init(), _ body: (SQLiteResultBackend, TemporaryDatabase) async throws -> T
    ) async throws -> T {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let backend = try await SQLiteResultBackend(path: database.path, configuration: configuration)
        do {
            let result = try await body(backend, database)
            await backend.close()
            return result
        } catch {
            await backend.close()
            throw error
        }
    }

    private func success(_ id: String, _ value: JSONValue = 42) -> ResultMeta {
        ResultMeta(taskID: id, status: .success, result: value, dateDone: "2024-01-02T03:04:05.678901+00:00")
    }

    @Test func storesAndReadsCeleryResultMeta() async throws {
        try await withBackend { backend, _ in
            #expect(try await backend.meta(for: "t1") == nil)
            let meta = ResultMeta(
                taskID: "t1", status: .success, result: ["é", 1.5, nil], children: [], dateDone: "2024-01-02T03:04:05.678901+00:00",
                groupID: "g", parentID: "p",
                extended: .init(name: "tasks.add", args: [1, 2], kwargs: ["k": "v"], worker: "w@h", retries: 1, queue: "celery"))
            try await backend.store(meta)
            #expect(try await backend.meta(for: "t1") == meta)
        }
    }

    @Test func storesTheExactCeleryJSON() async throws {
        try await withBackend { backend, database in
            let meta = success("t1", .object(["é": 1]))
            try await backend.store(meta)
            let connection = try await SQLiteConnection.open(path: database.path, busyTimeout: .seconds(1), errorCode: .backendFailure)
            let stored = try await connection.perform { db in
                var row: [String] = []
                try db.query("SELECT status, meta, date_done FROM celeriac_taskmeta WHERE task_id = 't1'") {
                    row = [$0.text(0) ?? "", $0.text(1) ?? "", $0.text(2) ?? ""]
                }
                return row
            }
            await connection.close()
            #expect(stored[0] == "SUCCESS")
            #expect(
                stored[1]
                    == #"{"status": "SUCCESS", "result": {"\u00e9": 1}, "traceback": null, "children": [], "date_done": "2024-01-02T03:04:05.678901+00:00", "task_id": "t1"}"#
            )
            #expect(stored[2] == "2024-01-02T03:04:05.678901+00:00")
        }
    }

    @Test func laterStatesReplaceEarlierOnesButNeverASuccess() async throws {
        try await withBackend { backend, _ in
            try await backend.store(ResultMeta(taskID: "t", status: .started, result: .object(["pid": 1])))
            #expect(try await backend.meta(for: "t")?.status == .started)
            try await backend.store(ResultMeta(taskID: "t", status: .retry, result: .object(["exc_type": "X"])))
            #expect(try await backend.meta(for: "t")?.status == .retry)
            try await backend.store(success("t"))
            try await backend.store(ResultMeta(taskID: "t", status: .failure, result: .object(["exc_type": "Late"])))
            try await backend.store(ResultMeta(taskID: "t", status: .started))
            #expect(try await backend.meta(for: "t") == success("t"))
        }
    }

    @Test func forgetDeletes() async throws {
        try await withBackend { backend, _ in
            try await backend.store(success("t"))
            try await backend.forget(taskID: "t")
            try await backend.forget(taskID: "never-stored")
            #expect(try await backend.meta(for: "t") == nil)
        }
    }

    @Test func deleteExpiredRemovesOnlyExpiredResults() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let shortLived = try await SQLiteResultBackend(path: database.path, configuration: .init(resultExpires: .milliseconds(100)))
        let forever = try await SQLiteResultBackend(path: database.path, configuration: .init(resultExpires: nil))
        let longLived = try await SQLiteResultBackend(path: database.path)
        try await shortLived.store(success("short"))
        try await forever.store(success("forever"))
        try await longLived.store(success("long"))
        try await Task.sleep(for: .milliseconds(250))
        #expect(try await longLived.deleteExpired() == 1)
        #expect(try await longLived.meta(for: "short") == nil)
        #expect(try await longLived.meta(for: "forever") != nil)
        #expect(try await longLived.meta(for: "long") != nil)
        for backend in [shortLived, forever, longLived] { await backend.close() }
    }

    @Test func waitForReadyReturnsTheLastSeenStateOnTimeout() async throws {
        try await withBackend { backend, _ in
            #expect(try await backend.waitForReady(taskID: "t", timeout: .milliseconds(50)) == nil)
            try await backend.store(ResultMeta(taskID: "t", status: .started))
            #expect(try await backend.waitForReady(taskID: "t", timeout: .milliseconds(50))?.status == .started)
            try await backend.store(success("t"))
            #expect(try await backend.waitForReady(taskID: "t", timeout: nil) == success("t"))
        }
    }

    @Test func waitForReadyWakesWhenAnotherBackendStores() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let waiter = try await SQLiteResultBackend(path: database.path, configuration: .init(pollInterval: .seconds(10)))
        let writer = try await SQLiteResultBackend(path: database.path)
        let clock = ContinuousClock()
        async let waited = waiter.waitForReady(taskID: "t", timeout: .seconds(10))
        try await Task.sleep(for: .milliseconds(200))
        try await writer.store(ResultMeta(taskID: "t", status: .started))
        try await Task.sleep(for: .milliseconds(50))
        let start = clock.now
        try await writer.store(success("t"))
        let meta = try await waited
        let latency = clock.now - start
        print("SQLiteResultBackend in-process wake-up latency: \(latency)")
        #expect(meta == success("t"))
        #expect(latency < .seconds(5))  // well under the 10 s poll: the wake-up worked
        await waiter.close()
        await writer.close()
    }

    #if canImport(Glibc)
    @Test func waitForReadyWakesThroughInotifyWhenAnotherProcessRings() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let waiter = try await SQLiteResultBackend(path: database.path, configuration: .init(pollInterval: .seconds(10)))
        let other = try await SQLiteConnection.open(path: database.path, busyTimeout: .seconds(5), errorCode: .backendFailure)
        let json = JSONValue.object(success("t").json()).serialized(.python)
        let clock = ContinuousClock()
        async let waited = waiter.waitForReady(taskID: "t", timeout: .seconds(10))
        try await Task.sleep(for: .milliseconds(200))
        let start = clock.now
        try await other.perform { db in
            try db.run("INSERT INTO celeriac_taskmeta (task_id, status, meta) VALUES ('t', 'SUCCESS', ?)", [.text(json)])
        }
        SQLiteNotifyFile(path: SQLitePath.canonical(database.path) + "-notify-results").ring()
        let meta = try await waited
        let latency = clock.now - start
        print("SQLiteResultBackend inotify wake-up latency: \(latency)")
        #expect(meta == success("t"))
        #expect(latency < .seconds(5))  // well under the 10 s poll: inotify woke it
        await other.close()
        await waiter.close()
    }
    #endif

    @Test func sharesAFileWithTheBroker() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let broker = try await SQLiteBroker(path: database.path)
        let backend = try await SQLiteResultBackend(path: database.path)
        try await broker.publish(bytes("m"), queue: "q", priority: 0)
        try await backend.store(success("t"))
        #expect(texts(try await broker.receive(from: ["q"], limit: 1, timeout: .zero)) == ["m"])
        #expect(try await backend.meta(for: "t") == success("t"))
        await broker.close()
        await backend.close()
    }

    @Test func malformedStoredJSONThrowsMalformedResult() async throws {
        try await withBackend { backend, database in
            let other = try await SQLiteConnection.open(path: database.path, busyTimeout: .seconds(1), errorCode: .backendFailure)
            try await other.perform { db in
                try db.run("INSERT INTO celeriac_taskmeta (task_id, status, meta) VALUES ('bad', 'SUCCESS', '{not json')")
            }
            await other.close()
            await #expect { try await backend.meta(for: "bad") } throws: { error in
                (error as? CeleriacError)?.code == .malformedResult
            }
        }
    }
}
