import Foundation
import Testing

extension InteropSandbox {
    /// Runs `python canvas_client.py <arguments>` (see `python/canvas_client.py`).
    func canvasClient(_ arguments: [String], timeout: Duration = .seconds(60)) async throws -> CommandOutput {
        let script = (Interop.pythonDirectory as NSString).appendingPathComponent("canvas_client.py")
        return try await run("python-canvas-\(arguments.first ?? "command")", executable: python, [script] + arguments, timeout: timeout)
    }

    /// A Swift worker whose `task_default_queue` is the test's queue (a `--config` file), as the Python app's
    /// is: the chain steps and chord bodies a worker sends go to the default queue, in Celery and here.
    func startSwiftCanvasWorker(concurrency: Int = 4, extra: [String] = []) async throws -> ChildProcess {
        let path = (directory as NSString).appendingPathComponent("canvas-worker.json")
        try Data(#"{"task_default_queue": "\#(queue)"}"#.utf8).write(to: URL(fileURLWithPath: path))
        return try await startSwiftWorker(concurrency: concurrency, extra: ["--config", path] + extra)
    }
}

extension InteropTests {
    /// Canvas workflows across the two languages on one Redis: built with Celery's canvas and run by a Swift
    /// worker, built with Celeriac's canvas and run by a Python worker, and one chord joined by both.
    @Suite("Canvas: chains, groups and chords across Python and Swift")
    struct Canvas {
        @Test("chain, group, chord, nesting and map built in Python run on a Swift worker; Python reads the results")
        func pythonCanvasOnSwiftWorker() async throws {
            try await InteropSandbox.run { sandbox in
                let worker = try await sandbox.startSwiftCanvasWorker()
                let cases: [(String, String)] = [
                    ("chain", "10"), ("group", "[0, 2, 4, 6, 8]"), ("chord", "30"), ("chord-in-chain", "17"), ("group-of-chains", "[4, 10]"),
                    ("chain-to-group", "[3, 4]"), ("map", "[3, 12]"), ("starmap", "[3, 7]"), ("chunks", "[[2, 4], [6]]"),
                    // Python's get() on a chord re-raises a failed header task's error first (its parent).
                    ("chord-fail", "FAILURE ValueError boom"),
                ]
                for (kind, expected) in cases {
                    let output = try await sandbox.canvasClient([kind, "--queue", sandbox.queue])
                    #expect(output.lines.last == expected, "\(kind): \(output)\n\(worker.tail())")
                    if kind == "chord-fail", output.lines.count >= 2 {
                        // The body itself ended FAILURE with Celery's ChordError, stored by the Swift worker.
                        let body = try await sandbox.client(["get", output.lines[output.lines.count - 2], "--timeout", "10"])
                        #expect(body.lines.last == "FAILURE ChordError Dependency py-fail-member raised ValueError('boom')", "\(body)")
                    }
                }
                #expect(worker.isRunning, "\(worker.tail())")
            }
        }

        @Test("chain, group, chord, nesting and map built in Swift run on a Python worker; Python and Swift read the results")
        func swiftCanvasOnPythonWorker() async throws {
            try await InteropSandbox.run { sandbox in
                let worker = try await sandbox.startPythonWorker()
                let cases: [(String, String)] = [
                    ("chain", "10"), ("group", "[0, 2, 4, 6, 8]"), ("chord", "30"), ("chord-in-chain", "17"), ("group-of-chains", "[4, 10]"),
                    ("map", "[3, 12]"), ("chord-fail", "FAILURE ChordError Dependency chord-fail-member raised ValueError('boom')"),
                ]
                for (kind, expected) in cases {
                    let output = try await sandbox.swift(["canvas", kind, "--queue", sandbox.queue, "--timeout", "30"], timeout: .seconds(60))
                    #expect(output.lines.last == expected, "\(kind): \(output)\n\(worker.tail())")
                    guard output.lines.count >= 2 else { continue }
                    let id = output.lines[output.lines.count - 2]
                    // Python reads what the Python worker stored for the Swift-built canvas.
                    switch kind {
                    case "group":
                        let restored = try await sandbox.canvasClient(["restore-group", id])
                        #expect(restored.lines.last == "[0, 2, 4, 6, 8]", "GroupResult.restore of a Swift-saved group: \(restored)")
                        let meta = try await sandbox.canvasClient(["taskset-meta", id])
                        #expect(meta.lines.last?.hasPrefix(#"{"result": [[""# + id + #"", null], [[[""#) == true, "\(meta)")
                    case "chord", "chain", "chord-in-chain":
                        let got = try await sandbox.client(["get", id, "--timeout", "10"])
                        #expect(got.lines.last == expected, "Python get of \(kind): \(got)")
                    case "chord-fail":
                        let got = try await sandbox.client(["get", id, "--timeout", "10"])
                        #expect(got.lines.last == expected, "Python get of \(kind): \(got)")
                    default: break
                    }
                }
                // A group Python saved, restored and read by Swift.
                let saved = try await sandbox.canvasClient(["group", "--queue", sandbox.queue])
                let groupID = try #require(saved.lines.first, "\(saved)")
                let restored = try await sandbox.swift(["canvas", "restore-group", groupID, "--timeout", "10"])
                #expect(restored.lines.last == "[0, 2, 4, 6, 8]", "\(restored)")
                #expect(worker.isRunning, "\(worker.tail())")
            }
        }

        @Test("a chord whose header runs on both a Python and a Swift worker completes; every task runs once")
        func chordAcrossWorkers() async throws {
            try await InteropSandbox.run { sandbox in
                let python = try await sandbox.startPythonWorker()
                let swift = try await sandbox.startSwiftCanvasWorker(concurrency: 2, extra: ["--prefetch-multiplier", "1"])
                for round in 0..<2 {
                    // 16 x sleep(0.25): both workers take some; the last one to finish sends the body.
                    let output = round == 0
                        ? try await sandbox.canvasClient(["chord-sleep", "--queue", sandbox.queue])
                        : try await sandbox.swift(["canvas", "chord-sleep", "--queue", sandbox.queue, "--timeout", "40"], timeout: .seconds(60))
                    #expect(output.lines.last == "4.0", "round \(round): \(output)\n\(python.tail())\n\(swift.tail())")
                }
                let ranByPython = PythonWorkerLog(python.standardError).taskIDs("succeeded")
                let ranBySwift = SwiftWorkerLog(swift.standardError).taskIDs("Task started")
                #expect(ranByPython.count >= 2 && ranBySwift.count >= 2, "both workers should run header tasks: Python \(ranByPython.count), Swift \(ranBySwift.count)")
                #expect(ranByPython.count + ranBySwift.count == 34, "32 header tasks and 2 bodies: Python \(ranByPython.count), Swift \(ranBySwift.count)")
                let state = try await sandbox.waitForEmptyBroker()
                #expect(state.ready == 0 && state.unacked == 0, "messages left: \(state)")
            }
        }
    }
}
