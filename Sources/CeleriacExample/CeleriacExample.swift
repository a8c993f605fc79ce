import Celeriac
import CeleriacCommands

/// The example application: Celery's tutorial tasks (`tasks.add`, `tasks.mul`, ...) behind Celery's
/// command line, plus `demo`. `swift run celeriac-example worker -l info` starts a worker for them;
/// `celeriac-example beat -l info` sends `tasks.add(2, 3)` every 10 s (see ``ExampleSchedule``).
@main
struct CeleriacExample {
    static func main() async {
        ExampleSchedule.register()
        await CeleriacCommandLine.main(commandName: "celeriac-example", registry: ExampleTasks.registry(), subcommands: [DemoCommand.self, CanvasCommand.self])
    }
}
