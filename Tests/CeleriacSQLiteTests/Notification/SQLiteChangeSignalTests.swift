import Testing

@testable import CeleriacSQLite

@Suite struct SQLiteChangeSignalTests {
    @Test func waitTimesOutWithoutChange() async {
        let signal = SQLiteChangeSignal()
        let clock = ContinuousClock()
        let start = clock.now
        await signal.wait(after: signal.generation, timeout: .milliseconds(100))
        #expect(clock.now - start >= .milliseconds(90))
    }

    @Test func changeBeforeWaitingReturnsAtOnce() async {
        let signal = SQLiteChangeSignal()
        let generation = signal.generation
        signal.notify()
        let clock = ContinuousClock()
        let start = clock.now
        await signal.wait(after: generation, timeout: .seconds(10))
        #expect(clock.now - start < .seconds(5))
    }

    @Test func notifyWakesEveryWaiter() async throws {
        let signal = SQLiteChangeSignal()
        let generation = signal.generation
        let clock = ContinuousClock()
        let start = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<5 { group.addTask { await signal.wait(after: generation, timeout: .seconds(10)) } }
            try await Task.sleep(for: .milliseconds(100))
            signal.notify()
            try await group.waitForAll()
        }
        #expect(clock.now - start < .seconds(5))
    }

    @Test func cancellationEndsTheWait() async {
        let signal = SQLiteChangeSignal()
        let clock = ContinuousClock()
        let start = clock.now
        let waiter = Task { await signal.wait(after: signal.generation, timeout: .seconds(10)) }
        try? await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        await waiter.value
        #expect(clock.now - start < .seconds(5))
    }
}
