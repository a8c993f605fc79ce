import Celeriac
import Foundation
import Testing

@testable import CeleriacSQLite

@Suite struct SQLiteConnectionTests {
    private func open(_ database: TemporaryDatabase) async throws -> SQLiteConnection {
        try await SQLiteConnection.open(path: database.path, busyTimeout: .milliseconds(500), errorCode: .brokerFailure)
    }

    @Test func bindsAndReadsEveryType() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let connection = try await open(database)
        let row = try await connection.perform { db in
            try db.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n TEXT, e TEXT, z BLOB)")
            try db.run(
                "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)",
                [.integer(-42), .real(1.5), .text("héllo ✓"), .blob([0, 1, 255]), .null, .text(""), .blob([])])
            var values: [String] = []
            try db.query("SELECT i, r, s, b, n, e, z, typeof(z) FROM t") { row in
                values = [
                    "\(row.int64(0))", "\(row.double(1))", row.text(2) ?? "nil", "\(row.blob(3))", "\(row.isNull(4))",
                    row.text(5).map { "[\($0)]" } ?? "nil", "\(row.blob(6))", row.text(7) ?? "nil",
                ]
            }
            return values
        }
        #expect(row == ["-42", "1.5", "héllo ✓", "[0, 1, 255]", "true", "[]", "[]", "blob"])
        await connection.close()
    }

    @Test func runsOnItsOwnThread() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let connection = try await open(database)
        let name = try await connection.perform { _ in currentThreadName() }
        #expect(name == "celeriac.sqlite")
        await connection.close()
    }

    @Test func opensInWALMode() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let connection = try await open(database)
        let modes = try await connection.perform { db in
            var modes: [String] = []
            try db.query("PRAGMA journal_mode") { modes.append($0.text(0) ?? "") }
            try db.query("PRAGMA synchronous") { modes.append($0.text(0) ?? "") }
            return modes
        }
        #expect(modes == ["wal", "1"])
        await connection.close()
    }

    @Test func transactionRollsBackWhenTheBodyThrows() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let connection = try await open(database)
        struct Failure: Error {}
        try await connection.perform { db in try db.execute("CREATE TABLE t (x INTEGER)") }
        await #expect(throws: Failure.self) {
            try await connection.perform { db in
                try db.transaction {
                    try db.run("INSERT INTO t VALUES (1)")
                    throw Failure()
                }
            }
        }
        let count = try await connection.perform { db in try db.integer("SELECT count(*) FROM t") }
        #expect(count == 0)
        await connection.close()
    }

    @Test func sqlErrorsBecomeCeleriacErrorsWithTheSQLiteMessage() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let connection = try await open(database)
        do {
            try await connection.perform { db in try db.run("SELECT * FROM missing_table") }
            Issue.record("expected an error")
        } catch let error as CeleriacError {
            #expect(error.code == .brokerFailure)
            let underlying = try #require(error.underlying as? SQLiteError)
            #expect(underlying.message.contains("missing_table"))
        }
        await connection.close()
    }

    @Test func closedConnectionThrowsClosed() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let connection = try await open(database)
        await connection.close()
        await connection.close()
        await #expect { try await connection.perform { db in try db.run("SELECT 1") } } throws: { error in
            (error as? CeleriacError)?.code == .closed
        }
    }

    @Test func beginImmediateWaitsForAnotherWriter() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let first = try await open(database)
        let second = try await open(database)
        try await first.perform { db in try db.execute("CREATE TABLE t (x INTEGER)") }
        // The first connection holds the write lock for a while; the second waits for it, then writes.
        async let holder: Void = first.perform { db in
            try db.transaction {
                try db.run("INSERT INTO t VALUES (1)")
                usleep(200_000)
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        try await second.perform { db in try db.transaction { try db.run("INSERT INTO t VALUES (2)") } }
        try await holder
        let values = try await second.perform { db in
            var values: [Int] = []
            try db.query("SELECT x FROM t ORDER BY rowid") { values.append($0.int(0)) }
            return values
        }
        #expect(values == [1, 2])
        await first.close()
        await second.close()
    }
}
