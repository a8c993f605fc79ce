import Celeriac
import Foundation
import Logging
import Testing

@testable import CeleriacSQLite

/// Chains, groups and chords on the embedded SQLite broker and backend, run by a real ``Worker``; chord joins
/// without a polling `chord_unlock` task.
@Suite struct SQLiteCanvasTests {
    static let quiet = Logger(label: "celeriac.sqlite.canvas.tests", factory: { _ in SwiftLogNoOpLogHandler() })

    /// An app on a fresh database with `tasks.add`, `tasks.tsum`, `tests.boom`, and a running worker.
    private func withWorker(_ body: (CeleriacApp, SQLiteResultBackend) async throws -> Void) async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let broker = try await SQLiteBroker(path: database.path)
        let backend = try await SQLiteResultBackend(path: database.path)
        let app = CeleriacApp(broker: broker, backend: backend, logger: Self.quiet)
        app.registry.register(name: "tasks.add") { args, _, _ in .int(args.compactMap(\.intValue).reduce(0, +)) }
        app.registry.register(name: "tasks.tsum") { args, _, _ in .int((args.first?.arrayValue ?? []).compactMap(\.intValue).reduce(0, +)) }
        app.registry.register(name: "tests.boom") { _, _, _ in throw TaskError.valueError("boom") }
        let worker = Worker(
            app: app,
            configuration: Worker.Configuration(concurrency: 4, queues: ["celery"], hostname: "celery@sqlite-canvas", receiveTimeout: .milliseconds(100)),
            logger: Self.quiet)
        do {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await worker.run() }
                defer { tasks.cancelAll() }
                try await body(app, backend)
            }
        } catch {
            await broker.close()
            await backend.close()
            throw error
        }
        await broker.close()
        await backend.close()
    }

    static func add(_ x: Int, _ y: Int? = nil) -> Signature {
        Signature(task: "tasks.add", args: y.map { [.int(x), .int($0)] } ?? [.int(x)])
    }

    @Test func chainGroupAndChordRunEndToEnd() async throws {
        try await withWorker { app, backend in
            let chain = try await app.apply(Chain(Self.add(1, 2), Self.add(3), Self.add(4)))
            #expect(try await chain.get(timeout: .seconds(20)) == 10)

            let group = try await app.apply(Group(signatures: (0..<4).map { Self.add($0, $0) }))
            try await group.save()
            #expect(try await group.get(timeout: .seconds(20)) == [0, 2, 4, 6])
            let restored = try #require(try await GroupResult<Int>.restore(id: group.id, app: app))
            #expect(restored.children == group.children)
            #expect(try await restored.get(timeout: .seconds(5)) == [0, 2, 4, 6])

            let chord = try await app.apply(Chord(header: (1...6).map { Self.add($0, $0) }, body: Signature(task: "tasks.tsum")))
            #expect(try await chord.get(timeout: .seconds(20)) == 42)
            // The join is cleaned up once the body was sent.
            let parts = try await backend.connection.perform { db in try db.integer("SELECT count(*) FROM celeriac_chord_parts") }
            #expect(parts == 0)

            let nested = try await app.apply(Chain(Self.add(1, 1), Signature.chord(header: [Self.add(1), Self.add(2)], body: Signature(task: "tasks.tsum")), Self.add(10)))
            #expect(try await nested.get(timeout: .seconds(20)) == 17)
        }
    }

    @Test func aFailingHeaderTaskFailsTheChord() async throws {
        try await withWorker { app, _ in
            let failing = Signature(task: "tests.boom", options: ["task_id": "boom-member"])
            let chord = try await app.apply(Chord(header: [Self.add(1, 1), failing, Self.add(2, 2)], body: Signature(task: "tasks.tsum")))
            let error = await #expect(throws: TaskFailedError.self) { try await chord.get(timeout: .seconds(20)) }
            #expect(error?.error.excType == "ChordError")
            #expect(error?.error.excMessage == [.string("Dependency boom-member raised ValueError('boom')")])
        }
    }

    @Test func theJoinHandsTheBodyToExactlyOneCaller() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let first = try await SQLiteResultBackend(path: database.path)
        let second = try await SQLiteResultBackend(path: database.path)
        try await first.setChordSize(groupID: "g", size: 40)
        let joins = try await withThrowingTaskGroup(of: ChordJoin.self) { tasks in
            for index in 0..<40 {
                let backend = index.isMultiple(of: 2) ? first : second
                tasks.addTask {
                    try await backend.chordPartReturn(ChordPart(groupID: "g", taskID: "t\(index)", groupIndex: index, state: .success, result: .int(index)))
                }
            }
            return try await tasks.reduce(into: []) { $0.append($1) }
        }
        let ready = joins.compactMap { join -> [ChordPart]? in
            if case .ready(let parts, _) = join { return parts }
            return nil
        }
        #expect(ready.count == 1)
        #expect(ready.first?.map(\.result) == (0..<40).map { .int($0) })
        // A duplicate counts once; after the end, a late duplicate is ignored.
        try await first.endChord(groupID: "g", claim: nil, bodySent: true)
        #expect(try await second.chordPartReturn(ChordPart(groupID: "g", taskID: "t1", groupIndex: 1, state: .success, result: 1)) == .finished)
        await first.close()
        await second.close()
    }

    @Test func migratesAVersion2Database() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let old = try await SQLiteConnection.open(path: database.path, busyTimeout: .seconds(5), errorCode: .backendFailure)
        try await old.perform { db in
            try db.execute(
                """
                CREATE TABLE celeriac_taskmeta (task_id TEXT PRIMARY KEY, status TEXT NOT NULL, meta TEXT NOT NULL, date_done TEXT, expires_at REAL);
                INSERT INTO celeriac_taskmeta (task_id, status, meta) VALUES ('kept', 'SUCCESS', '{"status": "SUCCESS", "result": 1, "task_id": "kept"}');
                PRAGMA user_version = 2;
                """)
        }
        await old.close()
        let backend = try await SQLiteResultBackend(path: database.path)
        #expect(try await backend.meta(for: "kept")?.result == 1)
        try await backend.saveGroup(id: "g", result: ResultNode.group("g", [.task("kept")]).tuple())
        #expect(try await backend.restoreGroup(id: "g") == ResultNode.group("g", [.task("kept")]).tuple())
        let version = try await backend.connection.perform { db in try db.integer("PRAGMA user_version") }
        #expect(version == 3)
        await backend.close()
    }
}
