import Celeriac
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App
@testable import CeleriacVapor

/// The example's routes end to end: `POST /add` sends `tasks.add` through `req.celeriac` to an SQLite broker,
/// the in-process worker runs it, `GET /tasks/:id` reads the result.
@Suite("Vapor example: routes and the in-process worker")
struct RoutesTests {
    @Test("POST /add is run by the in-process worker and GET /tasks/:id returns 5")
    func addRunsOnTheInProcessWorker() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await withExampleApp(directory: directory, inProcessWorker: true) { app in
            let id = try await postAdd(app, x: 2, y: 3)
            #expect(UUID(uuidString: id) != nil)
            let status = try await waitForReady(app, id: id)
            #expect(status.state == "SUCCESS")
            #expect(status.result == .int(5))
            let worker = try #require(app.celeriac.runningWorker)
            #expect(worker.counts.succeeded == 1)
        }
    }

    @Test("an unknown task id is PENDING, as in Celery")
    func unknownIDIsPending() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await withExampleApp(directory: directory, inProcessWorker: false) { app in
            let status = try await taskStatus(app, id: "9d5c9a54-0000-4000-8000-000000000000")
            #expect(status.state == "PENDING")
            #expect(status.result == nil)
        }
    }

    @Test("a bad body is a 400 and sends nothing; a failing task is FAILURE and the worker keeps running")
    func badInput() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await withExampleApp(directory: directory, inProcessWorker: true) { app in
            var headers = HTTPHeaders()
            headers.contentType = .json
            let bad = try await app.testing().sendRequest(.POST, "add", headers: headers, body: jsonBody(["x": "two", "y": 3]))
            #expect(bad.status == .badRequest)

            let overflow = try await postAdd(app, x: Int.max, y: 1)
            let failed = try await waitForReady(app, id: overflow)
            #expect(failed.state == "FAILURE")
            #expect(failed.result?.objectValue?["exc_type"] == .string("OverflowError"))

            let next = try await postAdd(app, x: 40, y: 2)
            #expect(try await waitForReady(app, id: next).result == .int(42))
            let worker = try #require(app.celeriac.runningWorker)
            #expect(worker.counts.processed == 2)
        }
    }

    @Test("shutdown stops the in-process worker gracefully: a running task finishes")
    func shutdownIsGraceful() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let id = try await withExampleApp(directory: directory, inProcessWorker: true) { app in
            try await app.asyncBoot()  // the worker starts
            let result = try await app.celeriac.client().delay(Tasks.sleep, SleepArguments(seconds: 1.5))
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(60)
            while app.celeriac.runningWorker?.counts.active != 1, clock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(app.celeriac.runningWorker?.counts.active == 1)
            return result.id
        }  // withApp shuts the application down here, while tasks.sleep runs
        try await withExampleApp(directory: directory, inProcessWorker: false) { app in
            let status = try await taskStatus(app, id: id)
            #expect(status.state == "SUCCESS")
            #expect(status.result == .double(1.5))
        }
    }

    @Test("after shutdown the client is closed, with an error that says so")
    func clientClosedAfterShutdown() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // Kept past shutdown, as a request still running then would hold it.
        let celeriac = try await withExampleApp(directory: directory, inProcessWorker: true) { app in
            _ = try await postAdd(app, x: 1, y: 1)
            return app.celeriac
        }
        await #expect {
            _ = try await celeriac.client()
        } throws: { error in
            (error as? CeleriacError)?.code == .closed
        }
    }

    @Test("the in-process worker runs for serve and tests only, never for other commands")
    func inProcessWorkerRule() async throws {
        try await withApp { app in
            _ = app.celeriac  // registers the celeriac command group
            #expect(app.asyncCommands.commands["celeriac"] != nil)
            for (arguments, expected) in [
                (["App"], true), (["App", "serve"], true), (["App", "--port", "8081"], true),
                (["App", "celeriac", "worker"], false), (["App", "routes"], false),
            ] {
                app.environment.arguments = arguments
                #expect(CeleriacLifecycle.runsInProcessWorker(app) == expected, "\(arguments)")
            }
        }
    }

    @Test("-n after celeriac worker reaches the command as --hostname (ConsoleKit keeps -n for itself)")
    func hostnameShortFlag() {
        #expect(CeleriacLifecycle.hostnameFlagRewritten(["App", "celeriac", "worker", "-c", "2", "-n", "w1@%h"])
            == ["App", "celeriac", "worker", "-c", "2", "--hostname", "w1@%h"])
        #expect(CeleriacLifecycle.hostnameFlagRewritten(["App", "serve", "-n"]) == ["App", "serve", "-n"])
        #expect(CeleriacLifecycle.hostnameFlagRewritten(["App", "celeriac", "worker", "-n"]) == ["App", "celeriac", "worker", "-n"])
    }

    @Test("bad settings are a clear error at configure time, or at boot when set directly")
    func badSettings() async throws {
        try await withApp { app in
            #expect {
                try app.celeriac.configure(environment: ["CELERY_BROKER_URL": "bogus://x"])
            } throws: { error in
                "\(error)".contains("bogus")
            }
            var settings = CeleriacConfiguration()
            settings.brokerURL = "bogus://y"
            app.celeriac.configuration = settings
            await #expect {
                try await app.asyncBoot()
            } throws: { error in
                "\(error)".contains("bogus://y")
            }
        }
    }
}
