import ArgumentParser
import Celeriac
import CeleriacCommands
import Foundation
import Logging
import ServiceLifecycle

/// `demo`: Celery's whole model in one process on the embedded SQLite broker: a worker runs while a
/// producer sends a batch of tasks, with a progress bar and a summary.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Send a batch of tasks through the embedded broker to an in-process worker and summarise the results.")

    @OptionGroup var connection: ConnectionOptions

    @Option(name: [.customShort("n"), .long], help: "How many tasks to send.")
    var tasks = 2000

    @Option(name: [.customShort("c"), .long], help: "Worker concurrency.")
    var concurrency = 8

    @Option(name: [.customShort("l"), .long], help: "Log level.")
    var loglevel: LogLevelOption = .critical

    func run() async throws {
        let logger = CommandLogging.logger(label: "celeriac.demo", level: loglevel)
        let queue = "demo-\(UUID().uuidString.prefix(8).lowercased())"
        let config = try connection.configuration { $0.taskDefaultQueue = queue }
        let connections = try await CeleriacConnections.open(config, logger: logger)
        let app = CeleriacApp(configuration: config, broker: connections.broker, backend: connections.backend, registry: ExampleTasks.registry(), logger: logger)
        let worker = Worker(app: app, configuration: Worker.Configuration(concurrency: concurrency, queues: [queue], hostname: "demo@\(System.hostName)"), logger: logger)
        print("Celeriac demo: broker \(ServiceURL.redact(config.effectiveBrokerURL)), results \(config.effectiveResultBackend.map(ServiceURL.redact) ?? "none"), queue \(queue)")
        print("Sending \(tasks) tasks (add, mul, xsum, echo, noop, sleep, fail, retrying) to a worker with \(concurrency) slots...")

        let started = ContinuousClock.now
        let summary = try await withThrowingTaskGroup(of: DemoSummary?.self) { group in
            group.addTask {
                try await worker.run()
                return nil
            }
            let count = tasks
            group.addTask {
                let summary = try await DemoProducer(app: app, count: count).run { done in
                    DemoProgress.draw(done: done, total: count)
                }
                worker.beginShutdown()
                return summary
            }
            var summary: DemoSummary?
            for try await result in group where result != nil { summary = result }
            return summary
        }
        let elapsed = ContinuousClock.now - started
        await connections.close()
        guard let summary else { return }
        FileHandle.standardError.write(Data("\n".utf8))
        summary.print(elapsed: elapsed, worker: worker.counts)
        if summary.unexpected > 0 { throw ExitCode(1) }
    }
}

/// Draws a progress bar on standard error.
enum DemoProgress {
    static func draw(done: Int, total: Int) {
        let width = 40
        let filled = total == 0 ? width : done * width / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total)".utf8))
    }
}
