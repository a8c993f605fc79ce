import ArgumentParser
import Celeriac
import Foundation

/// `call`: sends a task by name and prints its id (Celery's `celery call`).
public struct CallCommand: AsyncParsableCommand {
    /// The command's name and help.
    public static let configuration = CommandConfiguration(commandName: "call", abstract: "Send a task by name and print its id.")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The task name, e.g. tasks.add.")
    var name: String

    @Option(name: [.customShort("a"), .long], help: "Positional arguments as a JSON list, e.g. '[2, 3]'.")
    var args: String = "[]"

    @Option(name: [.customShort("k"), .long], help: "Keyword arguments as a JSON object, e.g. '{\"y\": 3}'.")
    var kwargs: String = "{}"

    @Option(help: "Seconds until the task may run.")
    var countdown: Double?

    @Option(help: "ISO 8601 time before which the task does not run.")
    var eta: String?

    @Option(help: "Seconds from now, or an ISO 8601 time, after which the task is not run.")
    var expires: String?

    @Option(help: "The queue to send to.")
    var queue: String?

    @Option(help: "Priority 0-9 (0 is taken first).")
    var priority: Int?

    @Flag(help: "Wait for the result and print it.")
    var wait = false

    @Option(help: "Seconds to wait with --wait.")
    var timeout: Double?

    /// Creates the command.
    public init() {}

    /// Sends the task.
    public func run() async throws {
        guard case .array(let positional) = try ClientCommand.parseJSON(args, option: "--args") else {
            throw ValidationError("--args must be a JSON list")
        }
        guard case .object(let keywords) = try ClientCommand.parseJSON(kwargs, option: "--kwargs") else {
            throw ValidationError("--kwargs must be a JSON object")
        }
        var options = CallOptions(countdown: countdown, queue: queue, priority: priority)
        if let eta {
            guard let date = CeleryTimestamp.parse(eta) else { throw ValidationError("--eta is not an ISO 8601 time: \(eta)") }
            options.eta = date
        }
        if let expires {
            if let seconds = Double(expires) {
                options.expires = .seconds(seconds)
            } else if let date = CeleryTimestamp.parse(expires) {
                options.expires = .date(date)
            } else {
                throw ValidationError("--expires must be seconds or an ISO 8601 time: \(expires)")
            }
        }
        let wait = self.wait
        let timeout = self.timeout
        let name = self.name
        try await ClientCommand.withApp(connection) { app in
            let result = try await app.send(name: name, args: positional, kwargs: keywords, options: options)
            print(result.id)
            if wait {
                let value = try await result.get(timeout: timeout.map { .milliseconds(Int64($0 * 1000)) })
                print(value.serialized(.python))
            }
        }
    }
}
