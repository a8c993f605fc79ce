import ArgumentParser
import Celeriac
import Foundation

/// `dead-letters`: list, show, requeue and delete messages workers could not process.
public struct DeadLettersCommand: AsyncParsableCommand {
    /// The command's name and help.
    public static let configuration = CommandConfiguration(
        commandName: "dead-letters", abstract: "Inspect and requeue messages workers could not process.",
        subcommands: [List.self, Show.self, Requeue.self, Delete.self])

    /// Creates the command.
    public init() {}

    static func store(_ app: CeleriacApp) throws -> any DeadLetterStore {
        guard let store = app.broker as? any DeadLetterStore else {
            throw ValidationError("this broker keeps no dead letters")
        }
        return store
    }

    /// `dead-letters list`
    public struct List: AsyncParsableCommand {
        /// The command's name and help.
        public static let configuration = CommandConfiguration(commandName: "list", abstract: "List dead letters, oldest first.")
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "The most to list.") var limit = 100
        /// Creates the command.
        public init() {}
        /// Lists them.
        public func run() async throws {
            let limit = self.limit
            try await ClientCommand.withApp(connection) { app in
                let letters = try await DeadLettersCommand.store(app).deadLetters(limit: limit)
                if letters.isEmpty { print("no dead letters") }
                for letter in letters {
                    print("\(letter.id)  \(letter.queue)  \(letter.taskName ?? "-")  \(letter.taskID ?? "-")  \(letter.reason)")
                }
            }
        }
    }

    /// `dead-letters show ID`
    public struct Show: AsyncParsableCommand {
        /// The command's name and help.
        public static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one dead letter with its message.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The dead letter id.") var id: String
        /// Creates the command.
        public init() {}
        /// Shows it.
        public func run() async throws {
            let id = self.id
            try await ClientCommand.withApp(connection) { app in
                guard let letter = try await DeadLettersCommand.store(app).deadLetter(id: id) else {
                    throw ValidationError("no dead letter with id \(id)")
                }
                print("id: \(letter.id)")
                print("queue: \(letter.queue)")
                print("task: \(letter.taskName ?? "-")")
                print("task id: \(letter.taskID ?? "-")")
                print("reason: \(letter.reason)")
                print("date: \(CeleryTimestamp.format(letter.date))")
                print("message:")
                print(String(decoding: letter.envelope, as: UTF8.self))
            }
        }
    }

    /// `dead-letters requeue ID...`
    public struct Requeue: AsyncParsableCommand {
        /// The command's name and help.
        public static let configuration = CommandConfiguration(commandName: "requeue", abstract: "Publish dead letters again and remove them.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Dead letter ids.") var ids: [String] = []
        @Flag(help: "Requeue every dead letter.") var all = false
        @Option(help: "Send to this queue instead of the original one.") var queue: String?
        /// Creates the command.
        public init() {}
        /// Requeues them.
        public func run() async throws {
            let (ids, all, queue) = (self.ids, self.all, self.queue)
            try await ClientCommand.withApp(connection) { app in
                let store = try DeadLettersCommand.store(app)
                let targets = all ? try await store.deadLetters(limit: Int.max).map(\.id) : ids
                var missing: [String] = []
                for id in targets {
                    if try await store.requeueDeadLetter(id: id, queue: queue) { print("requeued \(id)") } else { missing.append(id) }
                }
                if !missing.isEmpty { throw ValidationError("no dead letter with id \(missing.joined(separator: ", "))") }
            }
        }
    }

    /// `dead-letters delete ID...`
    public struct Delete: AsyncParsableCommand {
        /// The command's name and help.
        public static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete dead letters.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Dead letter ids.") var ids: [String]
        /// Creates the command.
        public init() {}
        /// Deletes them.
        public func run() async throws {
            let ids = self.ids
            try await ClientCommand.withApp(connection) { app in
                let store = try DeadLettersCommand.store(app)
                for id in ids {
                    if try await store.deleteDeadLetter(id: id) { print("deleted \(id)") } else { throw ValidationError("no dead letter with id \(id)") }
                }
            }
        }
    }
}
