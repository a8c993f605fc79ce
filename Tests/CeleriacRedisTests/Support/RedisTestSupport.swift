import CeleriacTesting
import Celeriac
import CeleriacRESP
import CeleriacRedis
import Foundation
import Logging
import NIOCore
import Testing

extension Logger {
    /// A logger that drops everything, so tests never touch the global logging system.
    static let quiet = Logger(label: "celeriac.redis.tests", factory: { _ in SwiftLogNoOpLogHandler() })
}

/// A running test server and ways to open clients, brokers and backends on it.
struct RedisHarness {
    let server: RedisServer

    var url: String { "redis://127.0.0.1:\(server.port)/0" }

    /// A plain client for looking at keys directly.
    func client() throws -> RESPClient {
        RESPClient(configuration: try .init(url: url), logger: .quiet)
    }

    /// A broker with the given settings.
    func broker(visibilityTimeout: Duration = .seconds(3600), keyPrefix: String = "", restoreInterval: Duration = .seconds(10)) throws -> RedisBroker {
        try RedisBroker(
            url: url,
            configuration: .init(visibilityTimeout: visibilityTimeout, keyPrefix: keyPrefix, restoreInterval: restoreInterval, logger: .quiet))
    }

    /// A result backend with the given settings.
    func backend(resultExpires: Duration? = .seconds(86400), keyPrefix: String = "") throws -> RedisResultBackend {
        try RedisResultBackend(url: url, configuration: .init(resultExpires: resultExpires, keyPrefix: keyPrefix, logger: .quiet))
    }
}

/// Runs `body` against a fresh `redis-server` on a free port, stopped afterwards whatever happens.
func withRedis(_ body: (RedisHarness) async throws -> Void) async throws {
    try await withRedisServer { server in try await body(RedisHarness(server: server)) }
}

extension RESPClient {
    /// Sends a command and returns its reply's text (nil for a null).
    func text(_ name: String, _ arguments: RESPCommand.Argument...) async throws -> String? {
        try await send(RESPCommand(name, arguments: arguments)).string
    }

    /// Sends a command and returns the texts of its array reply.
    func texts(_ name: String, _ arguments: RESPCommand.Argument...) async throws -> [String] {
        (try await send(RESPCommand(name, arguments: arguments)).elements ?? []).compactMap(\.string)
    }
}

/// The kombu separator, for building key names in expectations.
let sep = "\u{06}\u{16}"

/// Envelopes captured from Celery 5.7 (`shared/celery-protocol/vectors/b02_execute_add.wire.jsonl`).
enum Vectors {
    /// The `LPUSH celery` envelope of `add.delay(2, 3)`.
    static let b02Envelope = #"{"body": "W1syLCAzXSwge30sIHsiY2FsbGJhY2tzIjogbnVsbCwgImVycmJhY2tzIjogbnVsbCwgImNoYWluIjogbnVsbCwgImNob3JkIjogbnVsbH1d", "content-encoding": "utf-8", "content-type": "application/json", "headers": {"lang": "py", "task": "tasks.add", "id": "c4304ce8-6f8e-4fb1-aba7-dee0c26a65c0", "shadow": null, "eta": null, "expires": null, "group": null, "group_index": null, "retries": 0, "timelimit": [null, null], "root_id": "c4304ce8-6f8e-4fb1-aba7-dee0c26a65c0", "parent_id": null, "argsrepr": "(2, 3)", "kwargsrepr": "{}", "origin": "gen806@vm", "ignore_result": false, "replaced_task_nesting": 0, "stamped_headers": null, "stamps": {}}, "properties": {"correlation_id": "c4304ce8-6f8e-4fb1-aba7-dee0c26a65c0", "reply_to": "dcfa812f-650b-3d29-8c2a-3778a47b05e8", "delivery_mode": 2, "delivery_info": {"exchange": "", "routing_key": "celery"}, "priority": 0, "body_encoding": "base64", "delivery_tag": "c070fb16-e94f-406e-8a66-f89591e563b0"}}"#
    /// The delivery tag in ``b02Envelope``.
    static let b02Tag = "c070fb16-e94f-406e-8a66-f89591e563b0"
    /// The worker's `HSET unacked <tag> <value>` value for it.
    static let b02Unacked = "[" + b02Envelope + #", "", "celery"]"#
    /// The worker's SUCCESS meta for it.
    static let b02Result = #"{"status": "SUCCESS", "result": 5, "traceback": null, "children": [], "date_done": "2026-11-26T03:49:10.811904+00:00", "task_id": "c4304ce8-6f8e-4fb1-aba7-dee0c26a65c0"}"#

    /// The envelope kombu's `restore_visible` pushed back (`RPUSH celery`) in
    /// `shared/celery-protocol/vectors/d01_visibility_restore.wire.jsonl`.
    static let d01Restored = #"{"body": "W1s1XSwge30sIHsiY2FsbGJhY2tzIjogbnVsbCwgImVycmJhY2tzIjogbnVsbCwgImNoYWluIjogbnVsbCwgImNob3JkIjogbnVsbH1d", "content-encoding": "utf-8", "content-type": "application/json", "headers": {"lang": "py", "task": "tasks.sleep_late", "id": "d6932012-ae67-4fc6-b7fd-baa4e940fa66", "shadow": null, "eta": null, "expires": null, "group": null, "group_index": null, "retries": 0, "timelimit": [null, null], "root_id": "d6932012-ae67-4fc6-b7fd-baa4e940fa66", "parent_id": null, "argsrepr": "(5,)", "kwargsrepr": "{}", "origin": "gen806@vm", "ignore_result": false, "replaced_task_nesting": 0, "stamped_headers": null, "stamps": {}, "redelivered": true}, "properties": {"correlation_id": "d6932012-ae67-4fc6-b7fd-baa4e940fa66", "reply_to": "dcfa812f-650b-3d29-8c2a-3778a47b05e8", "delivery_mode": 2, "delivery_info": {"exchange": "", "routing_key": "celery", "redelivered": true}, "priority": 0, "body_encoding": "base64", "delivery_tag": "ea490ae7-e7bf-4718-9bfb-e6ff0f79bd16"}}"#
    /// The delivery tag in ``d01Restored``.
    static let d01Tag = "ea490ae7-e7bf-4718-9bfb-e6ff0f79bd16"
    /// ``d01Restored`` as it was first delivered: without the two `redelivered` flags.
    static let d01Original = d01Restored.replacingOccurrences(of: #", "redelivered": true"#, with: "")

    /// An envelope shaped like ``b02Envelope`` with its own task id, delivery tag (none when `nil`),
    /// queue and priority.
    static func envelope(id: String = UUID().uuidString.lowercased(), tag: String? = UUID().uuidString.lowercased(), queue: String = "celery", priority: Int = 0) -> [UInt8] {
        guard case .object(var object)? = try? JSONValue.parse(b02Envelope),
            var headers = object["headers"]?.objectValue, var properties = object["properties"]?.objectValue
        else { return [] }
        headers["id"] = .string(id)
        headers["root_id"] = .string(id)
        properties["correlation_id"] = .string(id)
        properties["delivery_info"] = .object(["exchange": "", "routing_key": .string(queue)])
        properties["priority"] = .int(priority)
        properties["delivery_tag"] = tag.map(JSONValue.string)
        object["headers"] = .object(headers)
        object["properties"] = .object(properties)
        return JSONValue.object(object).serializedBytes(.python)
    }

    /// The task id of an envelope.
    static func taskID(_ envelope: [UInt8]) -> String? {
        (try? JSONValue.parse(envelope))?.objectValue?["headers"]?.objectValue?["id"]?.stringValue
    }
}
