import Celeriac
import CeleriacTesting
import Foundation
import Testing

@testable import CeleriacPostgres

/// Saved groups in Python's tables and chord joins through a counter row, in both layouts.
@Suite(.enabled(if: PostgresServerProcess.shouldRun), .timeLimit(.minutes(2)))
struct PostgresCanvasTests {
    static let layouts: [PostgresResultBackend.Layout] = [.celery, .django]

    @Test(arguments: layouts) func groupsAreSavedRestoredAndForgotten(_ layout: PostgresResultBackend.Layout) async throws {
        try await PostgresTesting.withBackend(layout) { backend, server in
            let tuple: JSONValue = [["g1", nil], [[["c1", nil], nil], [["c2", nil], nil]]]
            #expect(try await backend.restoreGroup(id: "g1") == nil)
            try await backend.saveGroup(id: "g1", result: tuple)
            try await backend.saveGroup(id: "g1", result: tuple)
            #expect(try await backend.restoreGroup(id: "g1") == tuple)
            // What Python's GroupResult.restore reads: the tuple's JSON, exactly as Celery writes it.
            let sql = layout == .celery
                ? "SELECT convert_from(result, 'UTF8') FROM celery_tasksetmeta WHERE taskset_id = 'g1'"
                : "SELECT result FROM django_celery_results_groupresult WHERE group_id = 'g1'"
            let stored = try await server.psql(sql, database: "results").trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(stored == #"[["g1", null], [[["c1", null], null], [["c2", null], null]]]"#)
            try await backend.forgetGroup(id: "g1")
            #expect(try await backend.restoreGroup(id: "g1") == nil)
        }
    }

    @Test(arguments: layouts) func chordJoinsOnceInHeaderOrder(_ layout: PostgresResultBackend.Layout) async throws {
        try await PostgresTesting.withBackend(layout) { backend, _ in
            try await backend.setChordSize(groupID: "ch", size: 3)
            // Each header task stores its result, then joins (as the worker does).
            func finish(_ id: String, index: Int, value: JSONValue) async throws -> ChordJoin {
                try await backend.store(ResultMeta(taskID: id, status: .success, result: value))
                return try await backend.chordPartReturn(ChordPart(groupID: "ch", taskID: id, groupIndex: index, state: .success, result: value))
            }
            #expect(try await finish("h2", index: 2, value: 30) == .pending)
            #expect(try await finish("h0", index: 0, value: 10) == .pending)
            // A redelivered header task does not count twice.
            #expect(try await backend.chordPartReturn(ChordPart(groupID: "ch", taskID: "h0", groupIndex: 0, state: .success, result: 10)) == .pending)
            let join = try await finish("h1", index: 1, value: 20)
            guard case .ready(let parts, _) = join else {
                Issue.record("expected the join to complete, got \(join)")
                return
            }
            #expect(parts.map(\.taskID) == ["h0", "h1", "h2"])
            #expect(parts.map(\.result) == [10, 20, 30])
            try await backend.endChord(groupID: "ch", claim: nil, bodySent: true)
            #expect(try await backend.chordPartReturn(ChordPart(groupID: "ch", taskID: "h1", groupIndex: 1, state: .success, result: 20)) == .finished)
        }
    }

    @Test func concurrentHeaderTasksCompleteTheChordExactlyOnce() async throws {
        try await PostgresTesting.withBackend(.django) { backend, _ in
            let size = 12
            try await backend.setChordSize(groupID: "many", size: size)
            let joins = try await withThrowingTaskGroup(of: ChordJoin.self) { group in
                for index in 0..<size {
                    group.addTask {
                        try await backend.store(ResultMeta(taskID: "m\(index)", status: .success, result: .int(index)))
                        return try await backend.chordPartReturn(ChordPart(groupID: "many", taskID: "m\(index)", groupIndex: index, state: .success, result: .int(index)))
                    }
                }
                var all: [ChordJoin] = []
                for try await join in group { all.append(join) }
                return all
            }
            let ready = joins.compactMap { join -> [ChordPart]? in
                if case .ready(let parts, _) = join { return parts }
                return nil
            }
            #expect(ready.count == 1)
            #expect(ready.first?.map(\.result) == (0..<size).map { JSONValue.int($0) })
        }
    }

    /// A chord started by Python's django-celery-results (`apply_chord` writes every header tuple and the
    /// count) is joined by Swift workers, and the failed member's state reaches the join.
    @Test func joinsAChordThatPythonStarted() async throws {
        try await PostgresTesting.withBackend(.django) { backend, server in
            try await server.psql(
                #"INSERT INTO django_celery_results_chordcounter (group_id, sub_tasks, count) VALUES ('py', '[[["p0", null], null], [["p1", null], null]]', 2)"#,
                database: "results")
            try await backend.store(ResultMeta(taskID: "p1", status: .failure, result: .object(["exc_type": "ValueError", "exc_message": ["no"], "exc_module": "builtins"])))
            #expect(try await backend.chordPartReturn(ChordPart(groupID: "py", taskID: "p1", groupIndex: 1, state: .failure, result: .object(["exc_type": "ValueError"]))) == .pending)
            try await backend.store(ResultMeta(taskID: "p0", status: .success, result: 7))
            let join = try await backend.chordPartReturn(ChordPart(groupID: "py", taskID: "p0", groupIndex: 0, state: .success, result: 7))
            guard case .ready(let parts, _) = join else {
                Issue.record("expected the join to complete, got \(join)")
                return
            }
            #expect(parts.map(\.taskID) == ["p0", "p1"])
            #expect(parts.map(\.state) == [.success, .failure])
            #expect(parts[1].propagates)
            let left = try await server.psql("SELECT count(*) FROM django_celery_results_chordcounter", database: "results")
            #expect(left.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        }
    }
}
