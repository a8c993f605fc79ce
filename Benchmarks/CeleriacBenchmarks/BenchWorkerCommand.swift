import ArgumentParser
import Celeriac
import CeleriacCommands
import CeleriacSQLite
import Foundation

/// `worker` (hidden): the worker process the benchmarks start. It opens the database, prints `ready`,
/// waits for a line on standard input, then runs a Celeriac worker until SIGTERM.
struct BenchWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker", abstract: "A benchmark worker process (started by the other subcommands).", shouldDisplay: false)

    @Option(help: "The SQLite database file (broker and results).")
    var db: String

    @Option(name: [.customShort("c"), .long], help: "Tasks run at once.")
    var concurrency = 8

    @Option(name: .customLong("prefetch-multiplier"), help: "Messages reserved per slot.")
    var prefetchMultiplier = 4

    @Flag(name: .customLong("acks-late"), help: "Acknowledge after the task ran (task_acks_late).")
    var acksLate = false

    @Flag(help: "Store results (otherwise task_ignore_result is on).")
    var results = false

    @Option(help: "The worker's number, for its node name.")
    var index = 0

    @Option(name: [.customShort("l"), .long], help: "Log level.")
    var loglevel: LogLevelOption = .error

    @Flag(name: .customLong("no-wait"), help: "Start at once instead of waiting for a line on standard input.")
    var noWait = false

    @Option(help: "Write the broker call counts (JSON) to this file at exit.")
    var stats: String?

    func run() async throws {
        let logger = CommandLogging.logger(label: "celeriac.bench.worker", level: loglevel)
        // As `celeriac worker` does.
        MallocTuning.keepFreedMemory(environment: ProcessInfo.processInfo.environment)
        var config = CeleriacConfiguration()
        config.brokerURL = "sqlite:///" + db
        config.taskAcksLate = acksLate
        config.taskIgnoreResult = !results
        config.workerConcurrency = concurrency
        config.workerPrefetchMultiplier = prefetchMultiplier
        var brokerOptions = SQLiteBroker.Configuration()
        brokerOptions.logger = logger
        let broker = CountingBroker(base: try await SQLiteBroker(path: db, configuration: brokerOptions))
        let backend: SQLiteResultBackend
        do {
            var backendOptions = SQLiteResultBackend.Configuration()
            backendOptions.logger = logger
            backend = try await SQLiteResultBackend(path: db, configuration: backendOptions)
        } catch {
            await broker.close()
            throw error
        }
        let app = CeleriacApp(
            configuration: config, broker: broker, backend: backend, registry: BenchTasks.registry(ignoreResult: !results), logger: logger)
        let worker = Worker(
            app: app,
            configuration: Worker.Configuration(
                concurrency: concurrency, prefetchMultiplier: prefetchMultiplier, queues: [BenchTasks.queue],
                hostname: "bench\(index)@\(System.hostName)", shutdownGracePeriod: .seconds(10)),
            logger: logger)
        // Unbuffered: the parent waits for this line.
        LineIO.writeLine("ready", to: STDOUT_FILENO)
        if !noWait {
            guard await LineIO.readLine(from: STDIN_FILENO) != nil else {
                await backend.close()
                await broker.close()
                return
            }
        }
        do {
            try await ServiceRunner.run([worker], logger: logger)
        } catch {
            await backend.close()
            await broker.close()
            throw error
        }
        await backend.close()
        await broker.close()
        if let stats {
            let data = try JSONEncoder().encode(broker.counts)
            try data.write(to: URL(fileURLWithPath: stats))
        }
    }
}
