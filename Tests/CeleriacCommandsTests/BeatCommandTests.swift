import ArgumentParser
import Testing

@testable import CeleriacCommands

@Suite struct BeatCommandTests {
    @Test func beatIsABuiltInCommandWithItsOptions() throws {
        #expect(CeleriacCommandLine.builtInCommands.contains { $0 == BeatCommand.self })
        let command = try BeatCommand.parse(["-b", "redis://localhost:6379/0", "-l", "info", "-s", "/tmp/beat.db", "--lease-ttl", "2", "--max-interval", "1", "--beat-name", "app"])
        #expect(command.connection.broker == "redis://localhost:6379/0")
        #expect(command.beat.schedule == "/tmp/beat.db" && command.beat.leaseTTL == 2 && command.beat.maxInterval == 1 && command.beat.beatName == "app")
        #expect(throws: (any Error).self) { try BeatCommand.parse(["--lease-ttl", "0"]) }
    }

    @Test func workerTakesDashB() throws {
        let worker = try WorkerCommand.parse(["-B", "--lease-ttl", "3"])
        #expect(worker.beat && worker.beatOptions.leaseTTL == 3)
        #expect(try WorkerCommand.parse([]).beat == false)
    }
}
