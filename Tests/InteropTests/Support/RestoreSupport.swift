import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Helpers of the restore tests (`RestoreAcrossLanguagesTests.swift`): workers with a short visibility timeout
/// and late acks on both sides, and killing a worker with everything it started.
extension InteropSandbox {
    /// The visibility timeout, in seconds, of both workers in the restore tests.
    static let restoreVisibilityTimeout = 2

    /// The Swift worker's environment for the restore tests: late acks and a 2 s visibility timeout.
    static let restoreSwiftEnvironment = [
        "CELERY_TASK_ACKS_LATE": "true",
        "CELERY_BROKER_TRANSPORT_OPTIONS": #"{"visibility_timeout": \#(restoreVisibilityTimeout)}"#,
    ]

    /// Starts the Swift worker like ``startSwiftWorker(_:concurrency:extra:)``, with `environment` added to its
    /// environment (through `/usr/bin/env`, which execs the worker: the pid stays the worker's), and waits for
    /// its "worker ready" line.
    func startSwiftWorker(_ name: String, concurrency: Int, environment: [String: String]) async throws -> ChildProcess {
        let assignments = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let worker = try start(
            "swift-worker-\(name)", executable: "/usr/bin/env",
            assignments + [example, "worker", "-b", redisURL, "--result-backend", redisURL, "-Q", queue, "-n", "\(name)@interop",
                           "-c", "\(concurrency)", "-l", "debug"])
        let ready = await eventually(timeout: .seconds(20)) { SwiftWorkerLog(worker.standardError).contains("worker ready") || !worker.isRunning }
        guard ready, worker.isRunning else {
            throw InteropError("the Swift worker did not become ready (\(worker.exit.map { "\($0)" } ?? "still starting"))\n\(worker.tail())")
        }
        return worker
    }

    /// Starts `python -m celery -A <app> worker -P solo -c 1 -Q <queue> ... -n <name>@interop` in a session and
    /// process group of its own (`setsid`, which execs it: the pid is the worker's and its group's id), so
    /// ``ChildProcess/killProcessGroup()`` kills it with any process it started; waits for its "ready." line.
    func startPythonWorker(_ name: String, app: String) async throws -> ChildProcess {
        let worker = try start(
            "python-worker-\(name)", executable: "/usr/bin/setsid",
            [python, "-m", "celery", "-A", app, "worker", "-P", "solo", "-c", "1", "-Q", queue, "--without-gossip", "--without-mingle",
             "--without-heartbeat", "-l", "info", "-n", "\(name)@interop"])
        let ready = await eventually(timeout: .seconds(30)) { worker.standardError.contains("\(name)@interop ready.") || !worker.isRunning }
        guard ready, worker.isRunning else {
            throw InteropError("the Python worker did not become ready (\(worker.exit.map { "\($0)" } ?? "still starting"))\n\(worker.tail())")
        }
        return worker
    }

    /// `client.py send-many NAME ARGS --count N --queue <queue>`: the task ids, in order.
    func sendMany(_ name: String, _ args: String, count: Int) async throws -> [String] {
        let sent = try await client(["send-many", name, args, "--count", "\(count)", "--queue", queue])
        guard sent.succeeded, sent.lines.count == count else { throw InteropError("client.py send-many failed:\n\(sent)") }
        return sent.lines
    }

    /// `client.py get ID` for each id: the get line (a JSON value, `FAILURE ...` or `TIMEOUT`) per id.
    func results(_ ids: [String], timeout: Int) async throws -> [String: String] {
        var results: [String: String] = [:]
        for id in ids {
            let output = try await client(["get", id, "--timeout", "\(timeout)"], timeout: .seconds(Int64(timeout) + 30))
            results[id] = output.lines.last ?? "no output: \(output)"
        }
        return results
    }
}

extension ChildProcess {
    /// Kills the process with SIGKILL, and with it every process of its process group when it leads one (a
    /// worker started through `setsid`); waits until it and its group are gone. Returns how it ended, or `nil`
    /// when it did not end in time.
    @discardableResult
    func killProcessGroup(timeout: Duration = .seconds(10)) async -> Exit? {
        let pid = self.pid
        guard pid > 0 else { return exit }
        let leadsGroup = getpgid(pid) == pid
        if leadsGroup {
            kill(-pid, SIGKILL)
        } else {
            send(SIGKILL)
        }
        let ended = await waitForExit(timeout: timeout)
        if leadsGroup {
            // Nobody of the group is left (a reaped group has no member: kill(-pgid, 0) fails with ESRCH).
            _ = await eventually(timeout: .seconds(5), interval: .milliseconds(20)) { kill(-pid, 0) != 0 }
        }
        return ended
    }

    /// Whether a process of this process's group (it leads one) still exists.
    var processGroupAlive: Bool {
        let pid = self.pid
        return pid > 0 && kill(-pid, 0) == 0
    }
}

/// Counts per task id: how often each id of `ids` appears in `events`; ids not in `ids` are left out.
func occurrences(of ids: [String], in events: [String]) -> [String: Int] {
    let wanted = Set(ids)
    return events.filter { wanted.contains($0) }.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
}
