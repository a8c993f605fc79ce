import ArgumentParser
import Celeriac
import Synchronization

/// What the embedding application gives the commands: its tasks, its command name and its own
/// subcommands. Set once by ``CeleriacCommandLine/main(commandName:registry:subcommands:)``.
public enum CommandContext {
    private struct State: Sendable {
        var registry = TaskRegistry()
        var commandName = "celeriac"
        var subcommands: [any ParsableCommand.Type] = []
    }

    private static let state = Mutex(State())

    /// The tasks of the running executable (empty for the plain `celeriac` tool).
    public static var registry: TaskRegistry { state.withLock { $0.registry } }
    /// The executable's name in help text.
    public static var commandName: String { state.withLock { $0.commandName } }
    /// The application's own subcommands.
    public static var subcommands: [any ParsableCommand.Type] { state.withLock { $0.subcommands } }

    static func set(registry: TaskRegistry, commandName: String, subcommands: [any ParsableCommand.Type]) {
        state.withLock { state in
            state.registry = registry
            state.commandName = commandName
            state.subcommands = subcommands
        }
    }
}
