import ArgumentParser
import Celeriac

/// `purge`: deletes waiting messages (Celery's `celery purge`).
public struct PurgeCommand: AsyncParsableCommand {
    /// The command's name and help.
    public static let configuration = CommandConfiguration(commandName: "purge", abstract: "Delete all messages waiting in queues.")

    @OptionGroup var connection: ConnectionOptions

    @Option(name: [.customShort("Q"), .long], help: "Comma-separated queues (default: every queue with messages).")
    var queues: String?

    @Flag(name: [.customShort("f"), .long], help: "Do not ask for confirmation.")
    var force = false

    /// Creates the command.
    public init() {}

    /// Purges the queues.
    public func run() async throws {
        let named = queues.map { $0.split(separator: ",").map(String.init) }
        let force = self.force
        try await ClientCommand.withApp(connection) { app in
            var targets = named ?? []
            if named == nil { targets = try await app.broker.queueDepths().map(\.queue) }
            if !force {
                print("Delete all waiting messages in \(targets.joined(separator: ", "))? [y/N] ", terminator: "")
                guard let answer = readLine(), answer.lowercased().hasPrefix("y") else {
                    print("Cancelled.")
                    return
                }
            }
            var total = 0
            for queue in targets { total += try await app.broker.purge(queue: queue) }
            print("Purged \(total) message\(total == 1 ? "" : "s") from \(targets.count) known task queue\(targets.count == 1 ? "" : "s").")
        }
    }
}
