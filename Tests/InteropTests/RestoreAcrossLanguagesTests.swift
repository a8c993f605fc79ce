import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension InteropTests {
    /// kombu's `restore_visible` across the two languages: a worker killed with messages in `unacked` (late
    /// acks), and a worker of the other language that restores them once their visibility timeout (2 s on both
    /// sides) has passed, then runs them. A Python worker restores at startup (`on_poll_init`; then only every
    /// ~100 s); the Swift worker at its first receive and then every `restoreInterval` (1 s here), and it keeps
    /// extending its own leases so that it never restores messages it is running.
    ///
    /// The Python workers use `python/restore_tasks.py` (interop_tasks with `visibility_timeout` 2 and
    /// `task_acks_late`); the Swift worker gets `CELERY_TASK_ACKS_LATE=true` and
    /// `CELERY_BROKER_TRANSPORT_OPTIONS={"visibility_timeout": 2}`.
    @Suite("Restoring unacked messages across languages")
    struct RestoreAcrossLanguages {
        static let taskCount = 4
        static let taskSeconds = 2
        /// `tasks.sleep(2.0)`: both the Swift and the Python task return their argument as given.
        static let taskArgs = "[\(taskSeconds).0]"
        static let taskResult = "\(taskSeconds).0"

        @Test("a SIGKILLed Swift worker's unacked messages: a Python worker restores them at startup and runs each once", .timeLimit(.minutes(1)))
        func pythonRestoresSwiftMessages() async throws {
            try await InteropSandbox.run { sandbox in
                let ids = try await sandbox.sendMany("tasks.sleep", Self.taskArgs, count: Self.taskCount)
                let swiftWorker = try await sandbox.startSwiftWorker("swift", concurrency: 2, environment: InteropSandbox.restoreSwiftEnvironment)

                // The Swift worker reserves all 4 (prefetch 2 x 4) and starts 2; kill it while they run.
                let holding = await eventually(timeout: .seconds(15), interval: .milliseconds(20)) {
                    let log = SwiftWorkerLog(swiftWorker.standardError)
                    return Set(log.taskIDs("Task received")).isSuperset(of: ids) && !log.taskIDs("Task started").isEmpty
                }
                try #require(holding, "the Swift worker did not receive all \(Self.taskCount) tasks and start one\n\(swiftWorker.tail())")
                swiftWorker.send(SIGKILL)
                let exit = await swiftWorker.waitForExit(timeout: .seconds(10))
                #expect(exit == .signalled(SIGKILL), "the Swift worker: \(exit.map { "\($0)" } ?? "still running")\n\(swiftWorker.tail())")

                let swiftLog = SwiftWorkerLog(swiftWorker.standardError)
                let startedBySwift = Set(swiftLog.taskIDs("Task started"))
                let finishedBySwift = Set(swiftLog.taskIDs("Task succeeded"))
                let unfinished = ids.filter { !finishedBySwift.contains($0) }
                #expect(finishedBySwift.isEmpty, "a \(Self.taskSeconds) s task finished before the kill: \(finishedBySwift)")
                let afterKill = try await sandbox.redisState()
                #expect(afterKill.ready == 0, "the Swift worker held every message: \(afterKill)")
                #expect(
                    afterKill.unacked == unfinished.count && afterKill.unacked_index == unfinished.count,
                    "the killed Swift worker's unfinished messages stay in unacked: \(afterKill), \(unfinished.count) unfinished")

                // Past the visibility timeout (the last lease extension was at most 0.5 s before the kill), with no
                // consumer alive nothing moves.
                try await Task.sleep(for: .seconds(InteropSandbox.restoreVisibilityTimeout + 1))
                let expired = try await sandbox.redisState()
                #expect(expired.unacked == unfinished.count && expired.ready == 0, "nobody restores without a consumer: \(expired)")

                // The Python worker restores them at startup (RPUSH to the front of the queue) and runs them.
                let pythonWorker = try await sandbox.startPythonWorker("py", app: "restore_tasks")
                let results = try await sandbox.results(ids, timeout: 30)
                for id in ids {
                    #expect(results[id] == Self.taskResult, "task \(id): \(results[id] ?? "no result")\n\(pythonWorker.tail())")
                }

                // Each unfinished task ran once more, on the Python worker; none ran twice there.
                let pythonLog = PythonWorkerLog(pythonWorker.standardError)
                let ranByPython = occurrences(of: ids, in: pythonLog.taskIDs("succeeded"))
                #expect(Set(ranByPython.keys) == Set(unfinished), "Python ran \(ranByPython.keys.sorted()), unfinished \(unfinished.sorted())")
                #expect(ranByPython.values.allSatisfy { $0 == 1 }, "tasks the Python worker ran more than once: \(ranByPython.filter { $0.value > 1 })")
                #expect(Set(pythonLog.taskIDs("received")).isSuperset(of: unfinished), "the Python worker received: \(pythonLog.taskIDs("received"))")
                #expect(!startedBySwift.isEmpty && startedBySwift.isSubset(of: Set(ids)), "started by Swift before the kill: \(startedBySwift)")

                let state = try await sandbox.waitForEmptyBroker()
                #expect(state.ready == 0 && state.unacked == 0 && state.unacked_index == 0, "messages left in Redis: \(state)\n\(pythonWorker.tail())")
                #expect(pythonWorker.isRunning, "\(pythonWorker.tail())")
            }
        }

        @Test("a SIGKILLed Python worker's unacked messages: the Swift worker restores them and runs each once", .timeLimit(.minutes(1)))
        func swiftRestoresPythonMessages() async throws {
            try await InteropSandbox.run { sandbox in
                let ids = try await sandbox.sendMany("tasks.sleep", Self.taskArgs, count: Self.taskCount)
                let pythonWorker = try await sandbox.startPythonWorker("py", app: "restore_tasks")
                let pid = pythonWorker.pid
                #expect(pid > 0 && getpgid(pid) == pid, "the Python worker (pid \(pid)) should lead its own process group (setsid)")

                // The solo worker runs its first task inline (2 s) with the message in unacked; kill it meanwhile,
                // with its whole process group.
                let running = await eventually(timeout: .seconds(15), interval: .milliseconds(20)) {
                    !PythonWorkerLog(pythonWorker.standardError).taskIDs("received").isEmpty
                }
                try #require(running, "the Python worker received no task\n\(pythonWorker.tail())")
                let exit = await pythonWorker.killProcessGroup()
                #expect(exit == .signalled(SIGKILL), "the Python worker: \(exit.map { "\($0)" } ?? "still running")\n\(pythonWorker.tail())")
                #expect(!pythonWorker.processGroupAlive, "a process of the Python worker's group survived")

                let pythonLog = PythonWorkerLog(pythonWorker.standardError)
                let receivedByPython = Set(pythonLog.taskIDs("received"))
                let finishedByPython = Set(pythonLog.taskIDs("succeeded"))
                let unfinished = ids.filter { !finishedByPython.contains($0) }
                let held = receivedByPython.subtracting(finishedByPython)
                #expect(finishedByPython.isEmpty, "a \(Self.taskSeconds) s task finished before the kill: \(finishedByPython)")
                let afterKill = try await sandbox.redisState()
                #expect(afterKill.unacked >= 1, "the killed Python worker (acks_late) leaves its running message in unacked: \(afterKill)")
                #expect(afterKill.unacked == held.count && afterKill.unacked_index == held.count, "unacked \(afterKill), received and unfinished by Python: \(held.count)")
                #expect(afterKill.ready + afterKill.unacked == unfinished.count, "every unfinished message is queued or unacked: \(afterKill)")

                // Past the visibility timeout (Python does not extend its leases: the scores are the delivery times).
                try await Task.sleep(for: .seconds(InteropSandbox.restoreVisibilityTimeout + 1))
                let swiftWorker = try await sandbox.startSwiftWorker("swift", concurrency: 2, environment: InteropSandbox.restoreSwiftEnvironment)
                let results = try await sandbox.results(ids, timeout: 30)
                for id in ids {
                    #expect(results[id] == Self.taskResult, "task \(id): \(results[id] ?? "no result")\n\(swiftWorker.tail())")
                }

                let swiftLog = SwiftWorkerLog(swiftWorker.standardError)
                // It restored exactly the messages the Python worker held, never its own (it extends their leases,
                // though each task runs as long as the visibility timeout).
                let restored = Self.restoredCounts(swiftLog)
                #expect(restored.reduce(0, +) == afterKill.unacked, "the Swift worker's restores: \(restored), unacked after the kill: \(afterKill.unacked)\n\(swiftWorker.tail())")
                let started = occurrences(of: ids, in: swiftLog.taskIDs("Task started"))
                let succeeded = occurrences(of: ids, in: swiftLog.taskIDs("Task succeeded"))
                #expect(Set(started.keys) == Set(unfinished), "Swift started \(started.keys.sorted()), unfinished \(unfinished.sorted())")
                #expect(started.values.allSatisfy { $0 == 1 }, "tasks the Swift worker started more than once: \(started.filter { $0.value > 1 })")
                #expect(Set(succeeded.keys) == Set(unfinished) && succeeded.values.allSatisfy { $0 == 1 }, "Swift succeeded: \(succeeded)")

                let state = try await sandbox.waitForEmptyBroker()
                #expect(state.ready == 0 && state.unacked == 0 && state.unacked_index == 0, "messages left in Redis: \(state)\n\(swiftWorker.tail())")
                #expect(swiftWorker.isRunning, "\(swiftWorker.tail())")
            }
        }

        /// The `celeriac.count` of each "restored unacked messages whose lease ran out" line of the Swift worker.
        static func restoredCounts(_ log: SwiftWorkerLog) -> [Int] {
            log.lines.compactMap { line in
                guard line.hasSuffix("] restored unacked messages whose lease ran out"), let range = line.range(of: "celeriac.count=") else { return nil }
                return Int(line[range.upperBound...].prefix { $0.isNumber })
            }
        }
    }
}
