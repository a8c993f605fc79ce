import Vapor

/// `celeriac`: Celeriac's commands inside the Vapor executable (`swift run App celeriac worker`).
/// `app.celeriac` registers it on first use.
public struct CeleriacCommandGroup: AsyncCommandGroup {
    /// The subcommands: `worker`.
    public let commands: [String: any AnyAsyncCommand] = ["worker": CeleriacWorkerCommand()]

    /// The group's help.
    public var help: String { "Celeriac (Celery in Swift): run a worker with this application's tasks." }

    /// Creates the group.
    public init() {}
}
