import ArgumentParser

/// `celeriac-bench`: throughput, latency and memory of Celeriac on the embedded SQLite broker, and (`client`)
/// of the Swift producer against any broker URL.
///
/// Every subcommand works on fresh SQLite files in a temporary directory and prints a table. Workers
/// run as separate processes: the binary starts itself again with the hidden `worker` subcommand.
@main
struct CeleriacBenchmarks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "celeriac-bench",
        abstract: "Benchmarks of Celeriac on the embedded SQLite broker.",
        discussion: """
            Build in release mode: swift build -c release --product celeriac-bench --scratch-path .build-release
            Then run .build-release/release/celeriac-bench all
            """,
        subcommands: [
            PublishCommand.self, DrainCommand.self, EndToEndCommand.self, RoundTripCommand.self, AllCommand.self,
            BenchWorkerCommand.self, ClientCommand.self, AMQPPublishCommand.self,
        ])
}
