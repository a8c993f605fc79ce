import Celeriac
import CeleriacCommands

/// The `celeriac` tool: every command of Celery's CLI that needs no task code (call, result, revoke,
/// purge, status, dead-letters). A `worker` started from here knows no tasks; embed
/// ``CeleriacCommandLine`` in your own executable to run yours.
@main
struct CeleriacCLI {
    static func main() async {
        await CeleriacCommandLine.main(commandName: "celeriac", registry: TaskRegistry())
    }
}
