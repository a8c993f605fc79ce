import ArgumentParser
import Celeriac
import Foundation

/// `events`: prints the live event stream of a Celery cluster (Python and Swift workers alike), like
/// `celery events --dump`.
public struct EventsCommand: AsyncParsableCommand {
    /// The command's name and help.
    public static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Print the live events of every worker on the broker (celery events --dump).",
        discussion: "Task events appear only for workers started with -E or after `control enable_events`.")

    @OptionGroup var connection: ConnectionOptions

    @Flag(help: "Print each event as one JSON object per line.")
    var json = false

    @Option(help: "Only events whose type starts with this (task-, worker-heartbeat, ...).")
    var type: String?

    @Option(help: "Stop after this many events.")
    var count: Int?

    @Option(help: "Stop after this many seconds.")
    var timeout: Double?

    /// Creates the command.
    public init() {}

    /// Subscribes and prints until interrupted, `--count` events or `--timeout`.
    public func run() async throws {
        try await ClientCommand.withApp(connection) { app in
            guard let transport = app.broker as? any EventTransport else {
                throw CeleriacError(.invalidConfiguration, "this broker does not carry Celery events; use a redis:// broker")
            }
            let envelopes = try await transport.eventEnvelopes()
            // Printed so scripts know the subscription is live before they act.
            FileHandle.standardError.write(Data("-> events: listening\n".utf8))
            let (json, type, count) = (self.json, self.type, self.count)
            let printer = Task {
                var printed = 0
                for try await envelope in envelopes {
                    let events: [CeleryEvent]
                    do {
                        events = try EventLine.decode(envelope)
                    } catch {
                        FileHandle.standardError.write(Data("skipping a malformed event: \(error)\n".utf8))
                        continue
                    }
                    for event in events where type.map({ event.type.hasPrefix($0) }) ?? true {
                        // Unbuffered, so a pipe reader sees each event as it comes.
                        let line = json ? JSONValue.object(event.fields).serialized(.compact) : EventLine.line(event)
                        FileHandle.standardOutput.write(Data((line + "\n").utf8))
                        printed += 1
                        if let count, printed >= count { return }
                    }
                }
            }
            if let timeout {
                let stopper = Task {
                    try? await Task.sleep(for: .seconds(timeout))
                    printer.cancel()
                }
                defer { stopper.cancel() }
                try await printer.value
            } else {
                try await printer.value
            }
        }
    }
}

/// How `events` reads and prints events.
enum EventLine {
    static func decode(_ envelope: [UInt8]) throws -> [CeleryEvent] {
        try EventEnvelope.decode(envelope)
    }

    /// `<hostname> [<time>] <type> <uuid> key=value ...`, like `celery events --dump`.
    static func line(_ event: CeleryEvent) -> String {
        let time = event.timestamp.map { Date(timeIntervalSince1970: $0).formatted(.iso8601) } ?? "?"
        let common: Set<String> = ["hostname", "utcoffset", "pid", "clock", "timestamp", "type", "uuid"]
        let rest = event.fields.filter { !common.contains($0.key) }.map { "\($0.key)=\(render($0.value))" }
        return ([event.hostname ?? "?", "[\(time)]", event.type] + (event.uuid.map { [$0] } ?? []) + rest).joined(separator: " ")
    }

    private static func render(_ value: JSONValue) -> String {
        if case .string(let text) = value { return text.count > 200 ? String(text.prefix(200)) + "..." : text }
        return value.serialized(.compact)
    }
}
