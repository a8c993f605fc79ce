import ArgumentParser
import Celeriac
import Foundation

/// `inspect`: asks running workers, Celery's and Celeriac's alike, what they are doing (`celery inspect`).
public struct InspectCommand: AsyncParsableCommand {
    /// The command's name and help.
    public static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Ask workers: ping, active, reserved, scheduled, registered, stats, revoked, active_queues, conf, query_task, clock, report.")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The inspect method, e.g. ping, stats, active.")
    var method: String

    @Argument(help: "Task ids, for query_task.")
    var ids: [String] = []

    @Option(name: [.customShort("d"), .long], help: "Comma-separated node names to ask (all by default).")
    var destination: String?

    @Option(name: [.customShort("t"), .long], help: "Seconds to wait for replies.")
    var timeout: Double = 1

    @Flag(help: "Print the replies as one JSON object.")
    var json = false

    /// Creates the command.
    public init() {}

    static let methods: Set<String> = [
        "ping", "active", "reserved", "scheduled", "registered", "stats", "revoked", "active_queues", "conf", "query_task", "clock", "report",
    ]

    /// Validates the method name.
    public func validate() throws {
        guard Self.methods.contains(method) else {
            throw ValidationError("unknown inspect method '\(method)'; one of \(Self.methods.sorted().joined(separator: ", "))")
        }
    }

    /// Broadcasts and prints the replies; exits 69 when no node replied, as Celery does.
    public func run() async throws {
        var arguments: JSONObject = [:]
        if method == "query_task" { arguments["ids"] = .array(ids.map(JSONValue.string)) }
        if method == "active" { arguments["safe"] = .bool(false) }
        try await ControlInvocation.run(connection, method: method, arguments: arguments, destination: destination, timeout: timeout, json: json)
    }
}

/// `control`: tells running workers to do something (`celery control`).
public struct ControlCommand: AsyncParsableCommand {
    /// The command's name and help.
    public static let configuration = CommandConfiguration(
        commandName: "control",
        abstract: "Tell workers: revoke, rate_limit, time_limit, enable_events, disable_events, add_consumer, cancel_consumer, shutdown, heartbeat.",
        discussion: """
            Arguments follow Celery's CLI: `control revoke <id>... [--terminate]`, `control rate_limit <task> <rate>`,
            `control time_limit <task> <soft> [<hard>]`, `control add_consumer <queue>`, `control cancel_consumer <queue>`,
            `control pool_grow [n]`, `control pool_shrink [n]`, `control autoscale [max [min]]`.
            """)

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The control method.")
    var method: String

    @Argument(help: "The method's arguments.")
    var values: [String] = []

    @Flag(help: "With revoke: cancel the task if it is running.")
    var terminate = false

    @Option(name: [.customShort("d"), .long], help: "Comma-separated node names (all by default).")
    var destination: String?

    @Option(name: [.customShort("t"), .long], help: "Seconds to wait for replies.")
    var timeout: Double = 1

    @Flag(help: "Print the replies as one JSON object.")
    var json = false

    /// Creates the command.
    public init() {}

    /// The method's keyword arguments from the positional values, as Celery's CLI builds them.
    func arguments() throws -> JSONObject {
        func value(_ index: Int, _ name: String) throws -> String {
            guard index < values.count else { throw ValidationError("\(method) needs <\(name)>") }
            return values[index]
        }
        switch method {
        case "revoke":
            guard !values.isEmpty else { throw ValidationError("revoke needs task ids") }
            return ["task_id": .array(values.map(JSONValue.string)), "terminate": .bool(terminate), "signal": "SIGTERM"]
        case "rate_limit":
            return ["task_name": .string(try value(0, "task name")), "rate_limit": .string(try value(1, "rate"))]
        case "time_limit":
            let soft = try value(1, "soft seconds")
            var arguments: JSONObject = ["task_name": .string(try value(0, "task name")), "soft": Double(soft).map(JSONValue.double) ?? .null]
            arguments["hard"] = values.count > 2 ? (Double(values[2]).map(JSONValue.double) ?? .null) : .null
            return arguments
        case "add_consumer", "cancel_consumer":
            return ["queue": .string(try value(0, "queue"))]
        case "enable_events", "disable_events", "shutdown", "heartbeat", "ping":
            return [:]
        case "pool_grow", "pool_shrink":
            guard let n = Int(values.first ?? "1"), n >= 0 else { throw ValidationError("\(method) [n]: n is a whole number") }
            return ["n": .int(n)]
        case "autoscale":
            let limits = try values.prefix(2).map { text -> JSONValue in
                guard let n = Int(text), n >= 0 else { throw ValidationError("autoscale [max [min]]: whole numbers") }
                return .int(n)
            }
            return ["max": limits.first ?? .null, "min": limits.dropFirst().first ?? .null]
        default:
            throw ValidationError("unknown control method '\(method)'")
        }
    }

    /// Validates the method and its arguments.
    public func validate() throws {
        _ = try arguments()
    }

    /// Broadcasts; prints the replies (none for `shutdown` and `heartbeat`).
    public func run() async throws {
        let wantsReply = !["shutdown", "heartbeat"].contains(method)
        try await ControlInvocation.run(
            connection, method: method, arguments: try arguments(), destination: destination, timeout: timeout, json: json, reply: wantsReply)
    }
}

/// What `inspect` and `control` share: the broadcast and the printing.
enum ControlInvocation {
    static func run(
        _ connection: ConnectionOptions, method: String, arguments: JSONObject, destination: String?, timeout: Double, json: Bool, reply: Bool = true
    ) async throws {
        let nodes = destination.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        let replies = try await ClientCommand.withApp(connection) { app -> [ControlClient.Reply] in
            guard let transport = app.broker as? any ControlTransport else {
                throw CeleriacError(.invalidConfiguration, "this broker has no remote control; use a redis:// broker")
            }
            return try await ControlClient(transport: transport).call(
                method, arguments: arguments, destination: nodes, timeout: .milliseconds(Int64(timeout * 1000)), reply: reply)
        }
        guard reply else { return }
        if json {
            print(JSONValue.object(JSONObject(replies.map { ($0.hostname, $0.value) })).serialized(.python))
        } else {
            for reply in replies {
                print("-> \(reply.hostname): \(render(reply.value))")
            }
        }
        if replies.isEmpty {
            FileHandle.standardError.write(Data("Error: No nodes replied within time constraint\n".utf8))
            throw ExitCode(69)
        }
        if !json { print("\n\(replies.count) node\(replies.count == 1 ? "" : "s") online.") }
    }

    /// Celery's CLI shape: `OK` + text for `{"ok": ...}`, `ERROR` + text for `{"error": ...}`, JSON otherwise.
    static func render(_ value: JSONValue) -> String {
        if let object = value.objectValue, object.count == 1 {
            if let ok = object["ok"]?.stringValue { return "OK\n    \(ok)" }
            if let error = object["error"]?.stringValue { return "ERROR\n    \(error)" }
        }
        return "\n" + value.serialized(.python)
    }
}
