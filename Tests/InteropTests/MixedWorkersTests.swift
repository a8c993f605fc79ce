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
    /// A Python and a Swift worker consume one queue on one Redis.
    @Suite("Python and Swift workers on one queue")
    struct MixedWorkers {
        @Test("200 tasks from Python: each runs exactly once, and both workers run some")
        func shareOneQueue() async throws {
            try await InteropSandbox.run { sandbox in
                let pythonWorker = try await sandbox.startPythonWorker()
                let swiftWorker = try await sandbox.startSwiftWorker(concurrency: 2)
                let count = 200
                let output = try await sandbox.client(["batch", "--count", "\(count)", "--queue", sandbox.queue, "--timeout", "90"], timeout: .seconds(120))
                #expect(output.succeeded, "\(output)")
                let batch = try #require(JSONLine.parse(output.lines.last ?? ""), "\(output)")
                guard case .array(let idValues)? = batch["ids"], case .object(let results)? = batch["results"], case .object(let errors)? = batch["errors"] else {
                    Issue.record("unexpected batch output: \(output)")
                    return
                }
                let ids = idValues.compactMap(\.string)
                #expect(ids.count == count)
                #expect(errors.isEmpty, "tasks without a result: \(errors.prefix(5))\n\(pythonWorker.tail())\n\(swiftWorker.tail())")
                for (index, id) in ids.enumerated() {
                    #expect(results[id] == .int(index + 1000), "task \(index) (\(id)): \(results[id].map { "\($0)" } ?? "no result")")
                }

                // Who ran what: Python logs "Task tasks.add[id] succeeded", Swift "Task started" (debug).
                let ranByPython = PythonWorkerLog(pythonWorker.standardError).taskIDs("succeeded")
                let ranBySwift = SwiftWorkerLog(swiftWorker.standardError).taskIDs("Task started")
                let all = Set(ids)
                let runs = (ranByPython + ranBySwift).filter { all.contains($0) }.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
                let twice = runs.filter { $0.value > 1 }
                let never = all.filter { runs[$0] == nil }
                #expect(twice.isEmpty, "tasks run more than once: \(twice.prefix(10))")
                #expect(never.isEmpty, "tasks no worker logged: \(never.prefix(10))")
                let pythonCount = ranByPython.filter { all.contains($0) }.count
                let swiftCount = ranBySwift.filter { all.contains($0) }.count
                #expect(pythonCount > 0 && swiftCount > 0, "both workers should run some: Python ran \(pythonCount), Swift ran \(swiftCount)")
                #expect(pythonCount + swiftCount == count, "Python ran \(pythonCount), Swift ran \(swiftCount)")

                let state = try await sandbox.waitForEmptyBroker()
                #expect(state.ready == 0 && state.unacked == 0 && state.unacked_index == 0, "messages left in Redis: \(state)")
                #expect(state.results == count, "result keys: \(state.results)")
            }
        }
    }
}

extension InteropTests.MixedWorkers {
    @Test("a Swift worker's warm shutdown gives its reserved messages back, and the Python worker runs them")
    func warmShutdownHandsOver() async throws {
        try await InteropSandbox.run { sandbox in
            let swiftWorker = try await sandbox.startSwiftWorker(concurrency: 1, extra: ["--prefetch-multiplier", "4"])
            let count = 6
            let sent = try await sandbox.client(["send-many", "tasks.sleep", "[0.5]", "--count", "\(count)", "--queue", sandbox.queue])
            #expect(sent.succeeded && sent.lines.count == count, "\(sent)")
            let ids = sent.lines
            // Stop the Swift worker while it runs the first task and holds more in reserve.
            let running = await eventually(timeout: .seconds(15), interval: .milliseconds(20)) {
                !SwiftWorkerLog(swiftWorker.standardError).taskIDs("Task started").isEmpty
            }
            #expect(running, "the Swift worker started no task\n\(swiftWorker.tail())")
            swiftWorker.send(SIGTERM)
            let exit = await swiftWorker.waitForExit(timeout: .seconds(20))
            #expect(exit == .exited(0), "the Swift worker's warm shutdown: \(exit.map { "\($0)" } ?? "still running")\n\(swiftWorker.tail())")
            let left = try await sandbox.redisState()
            #expect(left.unacked == 0 && left.unacked_index == 0, "a warm shutdown must leave nothing unacked: \(left)")
            let ranBySwift = Set(SwiftWorkerLog(swiftWorker.standardError).taskIDs("Task succeeded"))
            #expect(left.ready == count - ranBySwift.count, "messages back in the queue: \(left), the Swift worker finished \(ranBySwift.count)")

            let pythonWorker = try await sandbox.startPythonWorker()
            for id in ids {
                let output = try await sandbox.client(["get", id, "--timeout", "20"])
                #expect(output.lines.last == "0.5", "task \(id): \(output)\n\(pythonWorker.tail())")
            }
            let ranByPython = PythonWorkerLog(pythonWorker.standardError).taskIDs("succeeded")
            #expect(Set(ranByPython).isDisjoint(with: ranBySwift), "tasks run by both workers: \(Set(ranByPython).intersection(ranBySwift))")
            #expect(ranByPython.count + ranBySwift.count == count, "Python ran \(ranByPython.count), Swift \(ranBySwift.count) of \(count)")
            #expect(ranByPython.count > 0, "the Swift worker should have had reserved messages to give back")
            let state = try await sandbox.waitForEmptyBroker()
            #expect(state.ready == 0 && state.unacked == 0 && state.unacked_index == 0, "messages left in Redis: \(state)")
        }
    }
}
