import Celeriac
import CeleriacTesting
import Foundation
import Testing

@testable import CeleriacPostgres

/// Credentials, a missing database, an outage and a restart of the server.
@Suite(.enabled(if: PostgresServerProcess.shouldRun), .timeLimit(.minutes(3)))
struct PostgresConnectionTests {
    @Test func wrongPasswordIsAClearErrorWithoutThePassword() async throws {
        try await withPostgresServer { server in
            let url = try ServiceURL("db+postgresql://\(PostgresServerProcess.passwordUser):not-the-password@127.0.0.1:\(server.port)/postgres")
            let configuration = try PostgresResultBackend.Configuration(url: url)
            do {
                _ = try await PostgresResultBackend(configuration: configuration)
                Issue.record("a wrong password was accepted")
            } catch let error as CeleriacError {
                #expect(error.code == .invalidConfiguration)
                #expect(error.message.contains("result_backend"))
                #expect(error.message.contains("wrong user name or password"))
                #expect(!error.message.contains("not-the-password"))
                #expect(!"\(error)".contains("not-the-password"))
            }
            // The right password works.
            let good = try ServiceURL("db+postgresql://\(PostgresServerProcess.passwordUser):\(PostgresServerProcess.password)@127.0.0.1:\(server.port)/postgres")
            let backend = try await PostgresResultBackend(configuration: try PostgresResultBackend.Configuration(url: good))
            try await backend.store(ResultMeta(taskID: "pw", status: .success, result: 1))
            #expect(try await backend.meta(for: "pw")?.result == 1)
            await backend.close()
        }
    }

    @Test func missingDatabaseAndNoServerAreClearErrors() async throws {
        try await withPostgresServer { server in
            let missing = try PostgresResultBackend.Configuration(url: ServiceURL("db+postgresql://postgres@127.0.0.1:\(server.port)/nope"))
            await #expect(throws: CeleriacError.self) { _ = try await PostgresResultBackend(configuration: missing) }
            do {
                _ = try await PostgresResultBackend(configuration: missing)
            } catch let error as CeleriacError {
                #expect(error.code == .invalidConfiguration)
                #expect(error.message.contains("\"nope\" does not exist"))
            }
        }
        let port = try RedisServerProcess.freePort()
        var nobody = try PostgresResultBackend.Configuration(url: ServiceURL("db+postgresql://postgres@127.0.0.1:\(port)/x"))
        nobody.operationTimeout = .seconds(3)
        do {
            _ = try await PostgresResultBackend(configuration: nobody)
            Issue.record("connected to a port nobody listens on")
        } catch let error as CeleriacError {
            #expect(error.code == .backendFailure)
            #expect(error.message.contains("cannot connect to PostgreSQL at 127.0.0.1:\(port)"))
        }
    }

    @Test func reconnectsAfterTheServerRestarts() async throws {
        try await PostgresTesting.withBackend(.celery, configure: { $0.operationTimeout = .seconds(3) }) { backend, server in
            try await backend.store(ResultMeta(taskID: "before", status: .success, result: 1))
            await server.stopServer()
            // While it is down, operations fail within the timeout instead of hanging.
            let clock = ContinuousClock()
            let start = clock.now
            await #expect(throws: CeleriacError.self) { try await backend.store(ResultMeta(taskID: "down", status: .success, result: 2)) }
            #expect(clock.now - start < .seconds(10))
            try await server.restart()
            // The pool's idle connections died with the old server: the next operations use new ones.
            var stored = false
            for _ in 0..<20 where !stored {
                do {
                    try await backend.store(ResultMeta(taskID: "after", status: .success, result: 3))
                    stored = true
                } catch {
                    try await Task.sleep(for: .milliseconds(250))
                }
            }
            #expect(stored)
            #expect(try await backend.meta(for: "before")?.result == 1)
            #expect(try await backend.meta(for: "after")?.result == 3)
        }
    }

    @Test func aRestartBetweenOperationsCostsNoError() async throws {
        try await PostgresTesting.withBackend(.django) { backend, server in
            try await backend.store(ResultMeta(taskID: "a", status: .success, result: 1))
            try await server.restart()
            // The first operation after the restart finds its pooled connection closed and retries once.
            try await backend.store(ResultMeta(taskID: "b", status: .success, result: 2))
            #expect(try await backend.meta(for: "b")?.result == 2)
        }
    }
}

/// The URLs and settings that choose a layout and a database.
@Suite struct PostgresConfigurationTests {
    @Test func celeryURLsWithAndWithoutDriver() throws {
        for scheme in ["db+postgresql", "db+postgresql+psycopg2", "db+postgresql+psycopg"] {
            let configuration = try PostgresResultBackend.Configuration(url: ServiceURL("\(scheme)://u:p%40ss@db.example:6543/results"))
            #expect(configuration.layout == .celery)
            #expect(configuration.host == "db.example")
            #expect(configuration.port == 6543)
            #expect(configuration.username == "u")
            #expect(configuration.password == "p@ss")
            #expect(configuration.database == "results")
            #expect(!configuration.displayURL.contains("p%40ss") && !configuration.displayURL.contains("p@ss"))
        }
        let defaults = try PostgresResultBackend.Configuration(url: ServiceURL("db+postgresql://db/r"))
        #expect(defaults.port == 5432 && defaults.username == "postgres" && defaults.password == nil)
    }

    @Test func djangoDBWithItsOwnURLOrTheDatabaseSetting() throws {
        let inline = try PostgresResultBackend.Configuration(url: ServiceURL("django-db+postgresql://u:pw@h:5433/site"))
        #expect(inline.layout == .django)
        #expect(inline.host == "h" && inline.port == 5433 && inline.database == "site" && inline.password == "pw")

        let separate = try PostgresResultBackend.Configuration(url: ServiceURL("django-db"), databaseURL: "postgres://u:pw@h2/site2")
        #expect(separate.layout == .django)
        #expect(separate.host == "h2" && separate.port == 5432 && separate.database == "site2")
        #expect(!separate.displayURL.contains("pw@"))

        #expect(throws: CeleriacError.self) { try PostgresResultBackend.Configuration(url: ServiceURL("django-db")) }
        do {
            _ = try PostgresResultBackend.Configuration(url: ServiceURL("django-db"))
        } catch let error as CeleriacError {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains("CELERIAC_DJANGO_DATABASE_URL"))
        }
        #expect(throws: CeleriacError.self) { try PostgresResultBackend.Configuration(url: ServiceURL("django-db"), databaseURL: "mysql://h/db") }
    }
}
