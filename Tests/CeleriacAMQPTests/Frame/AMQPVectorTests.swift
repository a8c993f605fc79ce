import Foundation
import NIOCore
import Testing

@testable import CeleriacAMQP

/// Every method, content-header and body frame captured between Celery 5.7 (py-amqp 5.4.2) and RabbitMQ 3.10 in
/// `shared/celery-protocol/vectors-amqp/` decodes, and re-encodes to the same bytes.
@Suite("AMQP captured frames")
struct AMQPVectorTests {
    static let directory: URL? = {
        let environment = ProcessInfo.processInfo.environment
        if let override = environment["CELERY_PROTOCOL_VECTORS"], !override.isEmpty {
            let url = URL(fileURLWithPath: override).appendingPathComponent("vectors-amqp")
            return FileManager.default.fileExists(atPath: url.path) ? url : nil
        }
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.pathComponents.count > 1, !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url.deleteLastPathComponent()
        }
        let candidate = url.deletingLastPathComponent().appendingPathComponent("shared/celery-protocol/vectors-amqp")
        return FileManager.default.fileExists(atPath: candidate.path) ? candidate : nil
    }()

    static let isCI = ProcessInfo.processInfo.environment["CI"]?.lowercased() == "true"

    struct Record {
        var file: String
        var seq: Int
        var type: UInt8
        var channel: UInt16
        var json: [String: Any]
        var payload: [UInt8]
    }

    static func records() throws -> [Record] {
        guard let directory else { return [] }
        var records: [Record] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() where name.hasSuffix(".jsonl") {
            let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            for line in text.split(separator: "\n") {
                guard let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let type = json["frame_type"] as? Int, let hex = json["hex"] as? String
                else { continue }
                records.append(
                    Record(
                        file: name, seq: json["seq"] as? Int ?? 0, type: UInt8(type), channel: UInt16(json["ch"] as? Int ?? 0),
                        json: json, payload: Self.bytes(hex: hex)
                    )
                )
            }
        }
        return records
    }

    static func bytes(hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
            bytes.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return bytes
    }

    @Test func everyCapturedFrameRoundTrips() throws {
        guard Self.directory != nil else {
            if Self.isCI { Issue.record("vectors-amqp not found (set CELERY_PROTOCOL_VECTORS)") }
            return
        }
        let records = try Self.records()
        #expect(records.count > 500)
        var methodNames = Set<String>()
        for record in records {
            var wire = ByteBuffer()
            wire.writeInteger(record.type)
            wire.writeInteger(record.channel)
            wire.writeInteger(UInt32(record.payload.count))
            wire.writeBytes(record.payload)
            wire.writeInteger(AMQPFrame.frameEnd)
            let original = Array(wire.readableBytesView)
            var decoder = AMQPFrameDecoder()
            let frame = try #require(try decoder.decode(buffer: &wire), "\(record.file) seq \(record.seq)")
            #expect(wire.readableBytes == 0)
            switch frame.payload {
            case .method(let method):
                #expect(method.name == record.json["method"] as? String, "\(record.file) seq \(record.seq)")
                methodNames.insert(method.name)
            case .header(let header):
                #expect(header.bodySize == UInt64(record.json["body_size"] as? Int ?? -1))
                #expect("0x" + String(format: "%04x", header.properties.flags) == record.json["property_flags"] as? String)
            case .body, .heartbeat:
                break
            }
            var encoder = AMQPFrameEncoder()
            try encoder.encode(frame)
            #expect(Array(encoder.buffer.readableBytesView) == original, "\(record.file) seq \(record.seq) \(frame.payload)")
        }
        #expect(methodNames.isSuperset(of: ["connection.start", "basic.deliver", "basic.consume", "confirm.select", "exchange.bind"]))
    }

    @Test func celeryTaskHeadersDecodeWithTheirTypes() throws {
        guard Self.directory != nil else { return }
        let header = try #require(try Self.records().first { $0.file == "01-delay.jsonl" && $0.type == 2 })
        var payload = ByteBuffer(bytes: header.payload)
        let decoded = try AMQPContentHeader(from: &payload)
        let headers = try #require(decoded.properties.headers)
        #expect(headers["task"]?.stringValue == "proj.add")
        #expect(headers["retries"] == .int32(0))
        #expect(headers["timelimit"] == [nil, nil])
        #expect(headers["ignore_result"] == false)
        #expect(headers["stamps"] == .table([:]))
        #expect(decoded.properties.deliveryMode == 2)
        #expect(decoded.properties.priority == 0)
        #expect(decoded.properties.contentType == "application/json")
    }
}
