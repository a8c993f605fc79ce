import Foundation
import Testing

@testable import CeleriacSQLite

@Suite struct SQLiteThreadExecutorTests {
    /// An actor on its own thread, as ``SQLiteConnection`` is.
    private actor Probe {
        private let executor: SQLiteThreadExecutor
        init(name: String) { executor = SQLiteThreadExecutor(name: name) }
        nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
        private var counter = 0

        func threadName() -> String { currentThreadName() }

        func increment() -> Int {
            counter += 1
            return counter
        }
    }

    /// The names of this process's threads (Linux truncates them to 15 bytes).
    private static func threadNames() -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    @Test func runsActorJobsOnItsOwnThreadOneAtATime() async throws {
        let probe = Probe(name: "celeriac.serial")
        #expect(await probe.threadName() == "celeriac.serial")
        let results = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<500 { group.addTask { await probe.increment() } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.sorted() == Array(1...500))
    }

    #if os(Linux)
    @Test func threadStopsWhenTheActorIsGone() async throws {
        var probe: Probe? = Probe(name: "celeriac.probe")
        #expect(await probe?.threadName() == "celeriac.probe")
        #expect(Self.threadNames().contains("celeriac.probe"))
        probe = nil
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(5)
        while Self.threadNames().contains("celeriac.probe") && clock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(!Self.threadNames().contains("celeriac.probe"))
    }
    #endif
}
