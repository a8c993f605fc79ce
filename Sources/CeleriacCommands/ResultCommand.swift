import ArgumentParser
import Celeriac

/// `result`: prints a task's state and result (Celery's `celery result`).
public struct ResultCommand: AsyncParsableCommand {
    /// The command's name and help.
    public static let configuration = CommandConfiguration(commandName: "result", abstract: "Print a task's result.")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The task id.")
    var id: String

    @Flag(help: "Wait until the task is finished.")
    var wait = false

    @Option(help: "Seconds to wait with --wait.")
    var timeout: Double?

    @Flag(help: "Print Celery's whole result metadata as JSON.")
    var json = false

    /// Creates the command.
    public init() {}

    /// Prints the result.
    public func run() async throws {
        let (id, wait, timeout, json) = (self.id, self.wait, self.timeout, self.json)
        let meta = try await ClientCommand.withApp(connection) { app -> ResultMeta? in
            guard let backend = app.backend else { throw ValidationError("no result backend is configured") }
            if wait {
                return try await backend.waitForReady(taskID: id, timeout: timeout.map { .milliseconds(Int64($0 * 1000)) })
            }
            return try await backend.meta(for: id)
        }
        guard let meta else {
            print(json ? "{\"status\": \"PENDING\", \"task_id\": \"\(id)\"}" : "PENDING")
            if wait { throw ExitCode(1) }
            return
        }
        if json {
            print(JSONValue.object(meta.json()).serialized(.python))
        } else if meta.status == .success {
            print(meta.result.serialized(.python))
        } else {
            print("\(meta.status): \(TaskError(json: meta.result).map { "\($0)" } ?? meta.result.serialized(.python))")
            if let traceback = meta.traceback { print(traceback, terminator: traceback.hasSuffix("\n") ? "" : "\n") }
        }
        if wait && !meta.status.isReady { throw ExitCode(1) }
    }
}
