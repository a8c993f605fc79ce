import Foundation
import Testing

@testable import Celeriac

/// The captured Celery 5.7 traffic in `shared/celery-protocol/` (the repository's sibling folder), or the folder
/// named by `CELERY_PROTOCOL_VECTORS`.
///
/// When the folder is missing, vector tests are skipped locally but fail when `CI=true`.
enum ProtocolVectors {
    static let environment = ProcessInfo.processInfo.environment
    static let isCI = environment["CI"] == "true"

    static let directory: URL? = {
        let fileManager = FileManager.default
        if let override = environment["CELERY_PROTOCOL_VECTORS"], !override.isEmpty {
            let url = URL(fileURLWithPath: override)
            return fileManager.fileExists(atPath: url.appendingPathComponent("vectors").path) ? url : nil
        }
        // Walk up from this file to the package root (the folder holding Package.swift).
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.pathComponents.count > 1 {
            if fileManager.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { break }
            url.deleteLastPathComponent()
        }
        let candidate = url.deletingLastPathComponent().appendingPathComponent("shared/celery-protocol")
        return fileManager.fileExists(atPath: candidate.appendingPathComponent("vectors").path) ? candidate : nil
    }()

    /// Whether vector tests run: the vectors are there, or CI demands them.
    static var shouldRun: Bool { directory != nil || isCI }

    /// The vectors folder, or a recorded failure when it is missing.
    static func require(sourceLocation: SourceLocation = #_sourceLocation) -> URL? {
        if directory == nil {
            Issue.record("celery-protocol vectors not found (set CELERY_PROTOCOL_VECTORS)", sourceLocation: sourceLocation)
        }
        return directory
    }

    static func files(in folder: String, suffix: String) throws -> [URL] {
        guard let directory else { return [] }
        let url = directory.appendingPathComponent(folder)
        return try FileManager.default.contentsOfDirectory(atPath: url.path).filter { $0.hasSuffix(suffix) }.sorted()
            .map { url.appendingPathComponent($0) }
    }

    static func lines(of url: URL) throws -> [Substring] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: true)
    }

    // MARK: Redis

    /// One task message written to Redis: a list item (`LPUSH`/`RPUSH`) or an `unacked` hash value.
    struct RedisItem: CustomStringConvertible {
        var file: String
        var line: Int
        var command: String
        /// The exact argument text.
        var text: String
        /// Whether the text is `[envelope, exchange, routing_key]` (an `unacked` value).
        var isUnackedEntry: Bool
        var description: String { "\(file):\(line) \(command)" }
    }

    /// Every task message in `vectors/*.wire.jsonl`.
    static func redisTaskItems() throws -> [RedisItem] {
        var items: [RedisItem] = []
        for url in try files(in: "vectors", suffix: ".wire.jsonl") {
            for (index, line) in try lines(of: url).enumerated() {
                guard case .array(let record) = try JSONValue.parse(String(line)), record.count > 3,
                    let command = record[2].stringValue
                else { continue }
                var candidates: [(String, Bool)] = []
                switch command {
                case "LPUSH", "RPUSH":
                    candidates = record.dropFirst(4).compactMap { $0.stringValue.map { ($0, false) } }
                case "HSET" where record[3] == "unacked":
                    candidates = stride(from: 5, to: record.count, by: 2).compactMap { record[$0].stringValue.map { ($0, true) } }
                default: break
                }
                for (text, wrapped) in candidates {
                    guard let value = try? JSONValue.parse(text) else { continue }
                    let envelope = wrapped ? value.arrayValue?.first : value
                    guard envelope?.objectValue?["headers"]?.objectValue?["task"] != nil else { continue }
                    items.append(RedisItem(file: url.lastPathComponent, line: index + 1, command: command, text: text, isUnackedEntry: wrapped))
                }
            }
        }
        return items
    }

    /// A top-level value of a scenario's `NAME.json`.
    static func scenarioValue(_ scenario: String, _ key: String) throws -> JSONValue? {
        guard let directory else { return nil }
        let data = try Data(contentsOf: directory.appendingPathComponent("vectors/\(scenario).json"))
        return try JSONValue.parse(data).objectValue?[key]
    }

    // MARK: AMQP

    /// One message published or delivered over AMQP, reassembled from its method, header and body frames.
    struct AMQPMessage: CustomStringConvertible {
        var file: String
        var seq: Int
        var method: String
        var exchange: String
        var routingKey: String
        var redelivered: Bool?
        var contentType: String
        var contentEncoding: String
        var headers: JSONObject
        /// The basic properties other than content type, encoding and headers.
        var properties: JSONObject
        var body: [UInt8]
        var description: String { "\(file) seq \(seq) \(method)" }
    }

    /// Every `basic.publish`, `basic.deliver` and `basic.get-ok` with content in `vectors-amqp/*.jsonl`.
    static func amqpMessages() throws -> [AMQPMessage] {
        var messages: [AMQPMessage] = []
        for url in try files(in: "vectors-amqp", suffix: ".jsonl") {
            var pending: [String: (message: AMQPMessage, size: Int)] = [:]
            for line in try lines(of: url) {
                guard case .object(let frame) = try JSONValue.parse(String(line)) else { continue }
                let key = "\(frame["conn"]?.intValue ?? -1)/\(frame["dir"]?.stringValue ?? "")/\(frame["ch"]?.intValue ?? -1)"
                switch frame["kind"]?.stringValue {
                case "method":
                    let method = frame["method"]?.stringValue ?? ""
                    guard ["basic.publish", "basic.deliver", "basic.get-ok"].contains(method) else { continue }
                    var args = JSONObject()
                    for pair in frame["args"]?.arrayValue ?? [] {
                        if let name = pair.arrayValue?.first?.stringValue, let value = pair.arrayValue?.last { args[name] = value }
                    }
                    let message = AMQPMessage(
                        file: url.lastPathComponent, seq: frame["seq"]?.intValue ?? 0, method: method,
                        exchange: args["exchange"]?.stringValue ?? "", routingKey: args["routing_key"]?.stringValue ?? "",
                        redelivered: args["redelivered"]?.boolValue, contentType: "", contentEncoding: "", headers: [:],
                        properties: [:], body: [])
                    pending[key] = (message, -1)
                case "header":
                    guard var entry = pending[key] else { continue }
                    for pair in frame["properties"]?.arrayValue ?? [] {
                        guard let name = pair.arrayValue?.first?.stringValue, let value = pair.arrayValue?.last else { continue }
                        switch name {
                        case "content_type": entry.message.contentType = value.stringValue ?? ""
                        case "content_encoding": entry.message.contentEncoding = value.stringValue ?? ""
                        case "headers": entry.message.headers = typed(value).objectValue ?? [:]
                        default: entry.message.properties[name] = value
                        }
                    }
                    entry.size = frame["body_size"]?.intValue ?? 0
                    if entry.size == 0 {
                        messages.append(entry.message)
                        pending[key] = nil
                    } else {
                        pending[key] = entry
                    }
                case "body":
                    guard var entry = pending[key], entry.size > 0 else { continue }
                    entry.message.body += hexBytes(frame["hex"]?.stringValue ?? "")
                    if entry.message.body.count >= entry.size {
                        messages.append(entry.message)
                        pending[key] = nil
                    } else {
                        pending[key] = entry
                    }
                default: continue
                }
            }
        }
        return messages
    }

    /// A value of the capture's typed form: `[TAG, value]`, tables as `["F", [[key, [TAG, value]], ...]]`.
    static func typed(_ value: JSONValue) -> JSONValue {
        guard case .array(let pair) = value, pair.count == 2, let tag = pair[0].stringValue else { return value }
        switch tag {
        case "F":
            var object = JSONObject()
            for entry in pair[1].arrayValue ?? [] {
                if let name = entry.arrayValue?.first?.stringValue, let inner = entry.arrayValue?.last { object[name] = typed(inner) }
            }
            return .object(object)
        case "A": return .array((pair[1].arrayValue ?? []).map(typed))
        case "V": return .null
        default: return pair[1]
        }
    }

    static func hexBytes(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count / 2)
        var high: UInt8?
        for character in text.utf8 {
            let nibble: UInt8
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = character - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = character - UInt8(ascii: "A") + 10
            default: continue
            }
            if let h = high {
                bytes.append(h << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return bytes
    }
}
