import Celeriac
import CeleriacVapor
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `App celeriac worker` as a real process: it runs tasks sent through `req.celeriac`, and SIGTERM is a warm
/// shutdown that lets a running task finish.
@Suite("Vapor example: the celeriac worker command")
struct WorkerCommandTests {
    @Test("App celeriac worker runs POST /add's task, and SIGTERM stops it gracefully")
    func workerCommandRunsTasksAndStopsOnSIGTERM() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let process = try AppProcess(
            arguments: ["celeriac", "worker", "-b", directory.sqliteURL, "-c", "2", "-l", "info", "-n", "vapor-test@%h", "--grace", "20"],
            directory: directory.path, environment: ["CELERY_RESULT_BACKEND": directory.sqliteURL])
        defer { process.killIfRunning() }

        try await withExampleApp(directory: directory, inProcessWorker: false) { app in
            // Sent through the route, so through req.celeriac; only the child process has a worker.
            let id = try await postAdd(app, x: 2, y: 3)
            let status = try await waitForReady(app, id: id, timeout: .seconds(90))
            #expect(status.state == "SUCCESS")
            #expect(status.result == .int(5))
            #expect(process.log.contains(id), "the worker's log names the task:\n\(process.log.suffix(2000))")
            #expect(process.log.contains("vapor-test@"))

            // A task still running when SIGTERM arrives finishes: a warm shutdown.
            let sleeping = try await app.celeriac.client().delay(Tasks.sleep, SleepArguments(seconds: 1.5))
            try await process.waitForLog(sleeping.id, timeout: .seconds(60))
            process.send(SIGTERM)
            let exitStatus = try await process.waitForExit(timeout: .seconds(60))
            #expect(exitStatus == 0, "App exited with \(exitStatus.map { "status \($0)" } ?? "a signal"):\n\(process.log.suffix(3000))")
            let slept = try await taskStatus(app, id: sleeping.id)
            #expect(slept.state == "SUCCESS")
            #expect(slept.result == .double(1.5))
        }
    }

    @Test("App celeriac worker -B also runs beat: beat_schedule's task is sent and run, and SIGTERM stops both")
    func workerWithBeat() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let schedule = #"{"vapor-add": {"task": "tasks.add", "schedule": 1, "args": [20, 22]}}"#
        let process = try AppProcess(
            arguments: ["celeriac", "worker", "-B", "-b", directory.sqliteURL, "-c", "1", "-l", "info", "--max-interval", "1"],
            directory: directory.path, environment: ["CELERY_RESULT_BACKEND": directory.sqliteURL, "CELERY_BEAT_SCHEDULE": schedule])
        defer { process.killIfRunning() }
        try await process.waitForLog("Task succeeded", timeout: .seconds(90))
        #expect(process.log.contains("tasks.add"))
        process.send(SIGTERM)
        let exitStatus = try await process.waitForExit(timeout: .seconds(60))
        #expect(exitStatus == 0, "\(process.log.suffix(3000))")
    }

    @Test("a bad flag value is a clear error and exit status 1")
    func badFlag() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let process = try AppProcess(arguments: ["celeriac", "worker", "-b", "bogus://nowhere"], directory: directory.path)
        defer { process.killIfRunning() }
        let status = try await process.waitForExit(timeout: .seconds(60))
        #expect(status == 1, "exit status 1, not a crash: \(process.log.suffix(2000))")
        #expect(process.log.contains("bogus"), "\(process.log.suffix(2000))")
    }
}
