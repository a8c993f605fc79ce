import Celeriac
import CeleriacTesting
import Foundation
import Logging
import Testing

@testable import CeleriacPostgres

/// Shared helpers: a private PostgreSQL cluster per test, backends on its databases, and the captured rows
/// of `shared/celery-protocol/vectors-sql/`.
enum PostgresTesting {
    static let environment = ProcessInfo.processInfo.environment
    static let isCI = environment["CI"] == "true"

    /// The `vectors-sql` folder next to the repository (or under `CELERY_PROTOCOL_VECTORS`).
    static let vectors: URL? = {
        let fileManager = FileManager.default
        if let override = environment["CELERY_PROTOCOL_VECTORS"], !override.isEmpty {
            let url = URL(fileURLWithPath: override).appendingPathComponent("vectors-sql")
            return fileManager.fileExists(atPath: url.path) ? url : nil
        }
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.pathComponents.count > 1 {
            if fileManager.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { break }
            url.deleteLastPathComponent()
        }
        let candidate = url.deletingLastPathComponent().appendingPathComponent("shared/celery-protocol/vectors-sql")
        return fileManager.fileExists(atPath: candidate.path) ? candidate : nil
    }()

    /// Tests with vectors run when they are there, and fail on CI when they are not.
    static var vectorsShouldRun: Bool { (vectors != nil || isCI) && PostgresServerProcess.shouldRun }

    /// One captured file's text, or a recorded failure.
    static func vector(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        guard let vectors else {
            Issue.record("vectors-sql not found (set CELERY_PROTOCOL_VECTORS)", sourceLocation: sourceLocation)
            throw PostgresServerError("no vectors")
        }
        return try String(contentsOf: vectors.appendingPathComponent(name), encoding: .utf8)
    }

    static let quiet = Logger(label: "celeriac.postgres.tests", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A configuration for `database` on `server` as the trust-authenticated `postgres`.
    static func configuration(_ layout: PostgresResultBackend.Layout, server: PostgresServerProcess, database: String) -> PostgresResultBackend.Configuration {
        PostgresResultBackend.Configuration(
            layout: layout, host: "127.0.0.1", port: server.port, username: "postgres", database: database,
            pollInterval: .milliseconds(50), operationTimeout: .seconds(5), logger: quiet)
    }

    /// Runs `body` with a new cluster, a new database and a backend on it; closes and stops everything after.
    static func withBackend<T>(
        _ layout: PostgresResultBackend.Layout, database: String = "results",
        configure: (inout PostgresResultBackend.Configuration) -> Void = { _ in },
        _ body: (PostgresResultBackend, PostgresServerProcess) async throws -> T
    ) async throws -> T {
        try await withPostgresServer { server in
            try await server.createDatabase(database)
            var configuration = configuration(layout, server: server, database: database)
            configure(&configuration)
            let backend = try await PostgresResultBackend(configuration: configuration)
            do {
                let value = try await body(backend, server)
                await backend.close()
                return value
            } catch {
                await backend.close()
                throw error
            }
        }
    }

    /// `pg_dump` text without the random `\restrict` lines, owner comments and trailing blank lines.
    static func normalizedDump(_ text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }
            .map { $0.replacingOccurrences(of: "Owner: postgres", with: "Owner: -") }
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines.joined(separator: "\n")
    }

    /// The text between two `-- ===== title` markers of a captured file.
    static func section(_ text: String, after marker: String, before end: String) -> String {
        guard let start = text.range(of: marker) else { return "" }
        let rest = text[start.upperBound...]
        let stop = rest.range(of: end)?.lowerBound ?? rest.endIndex
        return String(rest[..<stop].drop(while: { $0 != "\n" }).dropFirst())
    }
}

/// The rows of a `pg_dump --data-only --inserts` dump: `INSERT INTO public.<table> VALUES (...);`, each value
/// as SQL text (`NULL`, a number, or a string literal with `''` escapes, `'\x..'` for bytea).
struct DumpedRow: Equatable {
    /// The table without `public.`.
    var table: String
    /// The values: `nil` for NULL, else the literal's text (quotes removed, `''` unescaped).
    var values: [String?]

    /// Parses every INSERT of a dump.
    static func parse(_ dump: String) -> [DumpedRow] {
        var rows: [DumpedRow] = []
        var rest = Substring(dump)
        while let start = rest.range(of: "INSERT INTO public.") {
            rest = rest[start.upperBound...]
            guard let space = rest.firstIndex(of: " ") else { break }
            let table = String(rest[..<space])
            guard let open = rest.range(of: "VALUES (") else { break }
            rest = rest[open.upperBound...]
            var values: [String?] = []
            while let first = rest.first {
                if first == "'" {
                    var text = ""
                    var index = rest.index(after: rest.startIndex)
                    while index < rest.endIndex {
                        let character = rest[index]
                        if character == "'" {
                            let next = rest.index(after: index)
                            if next < rest.endIndex, rest[next] == "'" {
                                text.append("'")
                                index = rest.index(after: next)
                                continue
                            }
                            index = next
                            break
                        }
                        text.append(character)
                        index = rest.index(after: index)
                    }
                    values.append(text)
                    rest = rest[index...]
                } else {
                    let end = rest.firstIndex(where: { $0 == "," || $0 == ")" }) ?? rest.endIndex
                    let token = rest[..<end].trimmingCharacters(in: .whitespaces)
                    values.append(token == "NULL" ? nil : token)
                    rest = rest[end...]
                }
                guard let separator = rest.first else { break }
                rest = rest.dropFirst()
                if separator == ")" { break }
                rest = rest.drop(while: { $0 == " " })
            }
            rows.append(DumpedRow(table: table, values: values))
        }
        return rows
    }

    /// A `bytea` literal `\x3230` as its bytes.
    static func bytes(_ literal: String?) -> [UInt8]? {
        guard let literal, literal.hasPrefix("\\x") else { return nil }
        let hex = Array(literal.dropFirst(2).utf8)
        var bytes: [UInt8] = []
        var index = 0
        while index + 1 < hex.count {
            guard let byte = UInt8(String(decoding: hex[index...index + 1], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
            index += 2
        }
        return bytes
    }

    /// The row with every timestamp replaced by `<ts>` and the id (the first value) by `<id>`, for comparing
    /// rows written at different times.
    var comparable: [String?] {
        var values = self.values
        if !values.isEmpty { values[0] = "<id>" }
        return values.map { value in
            guard let value else { return nil }
            let isTimestamp = value.range(of: #"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?(\+00)?$"#, options: .regularExpression) != nil
            return isTimestamp ? "<ts>" + (value.hasSuffix("+00") ? "+00" : "") : value
        }
    }
}
