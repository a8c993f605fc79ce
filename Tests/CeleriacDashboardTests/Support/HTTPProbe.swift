import CeleriacTesting
import Foundation

/// The dashboard's responses parsed from ``HTTPGet``'s raw text: the tests see exactly the status and headers
/// the server sends (no redirects followed, no cookies kept).
struct HTTPProbe {
    struct Reply: CustomStringConvertible {
        var status: Int
        var headers: [String: String]
        var body: String
        var description: String { "HTTP \(status) \(headers)\n\(body.prefix(2000))" }
        func json() -> [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
        }
    }

    let port: Int

    func get(_ path: String, headers: [String: String] = [:]) async throws -> Reply {
        try await request("GET", path, headers: headers)
    }

    func post(_ path: String, headers: [String: String] = [:]) async throws -> Reply {
        try await request("POST", path, headers: headers)
    }

    func request(_ method: String, _ path: String, headers: [String: String] = [:]) async throws -> Reply {
        try Self.parse(try await HTTPGet.request(method, path: path, headers: headers, port: port))
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    private static func parse(_ response: String) throws -> Reply {
        guard let split = response.range(of: "\r\n\r\n") else { throw Failure(description: "no HTTP response: \(response.prefix(200))") }
        let lines = response[..<split.lowerBound].components(separatedBy: "\r\n")
        let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        var fields: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = String(response[split.upperBound...])
        if fields["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
        return Reply(status: status, headers: fields, body: body)
    }

    private static func dechunk(_ text: String) -> String {
        var bytes = Array(text.utf8)[...]
        var out: [UInt8] = []
        while let lineEnd = bytes.firstIndex(of: UInt8(ascii: "\r")) {
            let sizeText = String(decoding: bytes[bytes.startIndex..<lineEnd], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";").first ?? "", radix: 16), size > 0 else { break }
            let start = lineEnd + 2
            guard start + size <= bytes.endIndex else { break }
            out += bytes[start..<start + size]
            bytes = bytes[min(bytes.endIndex, start + size + 2)...]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
