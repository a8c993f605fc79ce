import ArgumentParser
import Celeriac

/// `status`: queue depths (waiting and unacked) and dead letters.
public struct StatusCommand: AsyncParsableCommand {
    /// The command's name and help.
    public static let configuration = CommandConfiguration(commandName: "status", abstract: "Show queue depths and dead letters.")

    @OptionGroup var connection: ConnectionOptions

    /// Creates the command.
    public init() {}

    /// Prints the depths.
    public func run() async throws {
        try await ClientCommand.withApp(connection) { app in
            let depths = try await app.broker.queueDepths()
            let width = max(5, depths.map(\.queue.count).max() ?? 0)
            print("queue".padding(width) + "  ready  unacked")
            for depth in depths.sorted(by: { $0.queue < $1.queue }) {
                print(depth.queue.padding(width) + "  " + String(depth.ready).padding(5, left: true) + "  " + String(depth.unacked).padding(7, left: true))
            }
            if let store = app.broker as? any DeadLetterStore {
                let count = try await store.deadLetters(limit: 100_000).count
                print("dead letters: \(count)")
            }
        }
    }
}

extension String {
    func padding(_ width: Int, left: Bool = false) -> String {
        let pad = String(repeating: " ", count: max(0, width - count))
        return left ? pad + self : self + pad
    }
}
