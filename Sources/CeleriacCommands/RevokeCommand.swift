import ArgumentParser
import Celeriac

/// `revoke`: revokes tasks by id (Celery's `celery control revoke`).
public struct RevokeCommand: AsyncParsableCommand {
    /// The command's name and help.
    public static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke tasks: workers discard them.")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "Task ids.")
    var ids: [String]

    /// Creates the command.
    public init() {}

    /// Revokes the tasks.
    public func run() async throws {
        let ids = self.ids
        try await ClientCommand.withApp(connection) { app in
            for id in ids { try await app.revoke(taskID: id) }
        }
        print("tasks \(ids.joined(separator: ", ")) flagged as revoked")
    }
}
