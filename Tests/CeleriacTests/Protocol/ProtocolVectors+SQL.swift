import Foundation

@testable import Celeriac

extension ProtocolVectors {
    /// One `kombu_message.payload` from a `sqlite3 .dump` in `vectors-sql/` (kombu's SQLAlchemy transport).
    struct SQLPayload: CustomStringConvertible {
        var file: String
        var line: Int
        /// The row's `id` column.
        var rowID: String
        /// Whether the INSERT was in a `-- ` comment (the dump taken while an ETA message was held).
        var commented: Bool
        /// The payload text, SQL quoting undone.
        var text: String
        var description: String { "\(file):\(line) row \(rowID)\(commented ? " (commented dump)" : "")" }
    }

    /// Every `INSERT INTO kombu_message VALUES(id, visible, timestamp, 'payload', version, queue_id)` in the
    /// `vectors-sql/*.sql` dumps whose name has `kombu-sqla`, commented or not.
    static func sqlPayloads() throws -> [SQLPayload] {
        var payloads: [SQLPayload] = []
        for url in try files(in: "vectors-sql", suffix: ".sql") where url.lastPathComponent.contains("kombu-sqla") {
            for (index, line) in try lines(of: url).enumerated() {
                var text = line[...]
                let commented = text.hasPrefix("-- ")
                if commented { text = text.dropFirst(3) }
                let prefix = "INSERT INTO kombu_message VALUES("
                guard text.hasPrefix(prefix) else { continue }
                let values = try sqlValues(text.dropFirst(prefix.count), context: "\(url.lastPathComponent):\(index + 1)")
                guard values.count == 6 else {
                    throw CeleriacError(.malformedMessage, "\(url.lastPathComponent):\(index + 1): \(values.count) columns, expected 6")
                }
                payloads.append(SQLPayload(file: url.lastPathComponent, line: index + 1, rowID: values[0], commented: commented, text: values[3]))
            }
        }
        return payloads
    }

    /// The values of `a, 'b''c', NULL)`: quoted strings unquoted (`''` is one quote), bare tokens as written,
    /// up to the closing parenthesis.
    static func sqlValues(_ text: Substring, context: String) throws -> [String] {
        var values: [String] = []
        var index = text.startIndex
        while index < text.endIndex {
            if text[index] == "'" {
                var value = ""
                index = text.index(after: index)
                while true {
                    guard index < text.endIndex else { throw CeleriacError(.malformedMessage, "\(context): unterminated string") }
                    let character = text[index]
                    index = text.index(after: index)
                    if character == "'" {
                        if index < text.endIndex, text[index] == "'" {
                            value.append("'")
                            index = text.index(after: index)
                        } else {
                            break
                        }
                    } else {
                        value.append(character)
                    }
                }
                values.append(value)
            } else {
                let end = text[index...].firstIndex { $0 == "," || $0 == ")" } ?? text.endIndex
                values.append(String(text[index..<end]))
                index = end
            }
            guard index < text.endIndex else { break }
            if text[index] == ")" { return values }
            guard text[index] == "," else { throw CeleriacError(.malformedMessage, "\(context): expected ',' or ')' after a value") }
            index = text.index(after: index)
        }
        throw CeleriacError(.malformedMessage, "\(context): no closing parenthesis")
    }
}
