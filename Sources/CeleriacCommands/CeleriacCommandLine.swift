import ArgumentParser
import Celeriac

/// Celery's command line for your own executable: `worker`, `call`, `result`, `revoke`, `purge`,
/// `status` and `dead-letters`, with your tasks registered.
///
/// ```swift
/// @main
/// struct MyApp {
///     static func main() async {
///         let registry = TaskRegistry()
///         registry.register(add) { args, _ in args.x + args.y }
///         await CeleriacCommandLine.main(commandName: "myapp", registry: registry)
///     }
/// }
/// ```
/// Then `swift run myapp worker -l info -c 8 -Q celery,emails` works as `celery -A api worker` does.
public enum CeleriacCommandLine {
    /// The built-in commands.
    public static let builtInCommands: [any ParsableCommand.Type] = [
        WorkerCommand.self, CallCommand.self, ResultCommand.self, RevokeCommand.self, PurgeCommand.self, StatusCommand.self,
        DeadLettersCommand.self, BeatCommand.self, EventsCommand.self,
        InspectCommand.self, ControlCommand.self, DashboardCommand.self,
    ]

    /// Parses the process's arguments, runs the command and exits.
    /// - Parameters:
    ///   - commandName: the executable's name in help text.
    ///   - registry: the tasks a `worker` started from this executable runs.
    ///   - subcommands: the application's own commands, listed after the built-in ones.
    ///   - arguments: the arguments; the process's by default.
    public static func main(commandName: String, registry: TaskRegistry, subcommands: [any ParsableCommand.Type] = [], arguments: [String]? = nil) async -> Never {
        CommandContext.set(registry: registry, commandName: commandName, subcommands: subcommands)
        await RootCommand.main(arguments)
        RootCommand.exit()
    }
}

/// The root command whose subcommands are the built-in ones plus the application's.
struct RootCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: CommandContext.commandName,
            abstract: "Celery's task queue in Swift: run workers, send tasks, read results.",
            subcommands: CeleriacCommandLine.builtInCommands + CommandContext.subcommands)
    }
}
