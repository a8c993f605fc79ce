import Celeriac
import CeleriacCommands

/// The example application: Celery's tutorial tasks (`tasks.add`, `tasks.mul`, ...) behind Celery's
/// command line, plus `demo`. `swift run celeriac-example worker -l info` starts a worker for them.
@main
struct CeleriacExample {
    static func main() async {
        await CeleriacCommandLine.main(commandName: "celeriac-example", registry: ExampleTasks.registry(), subcommands: [DemoCommand.self])
    }
}
