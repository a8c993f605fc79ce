import Foundation
import Testing

/// docs/vapor.md shows the example's files: each block marked `<!-- example: PATH -->` must be that file of
/// Examples/VaporApp exactly, and each block marked `<!-- excerpt: PATH -->` must be lines of that file (comments
/// after `//` aside), so the guide cannot drift from the code the other tests run.
@Suite("Vapor example: docs/vapor.md matches the example")
struct DocumentationTests {
    /// Examples/VaporApp.
    static let packageDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The marked code blocks of docs/vapor.md: (kind, path, code).
    static func markedBlocks() throws -> [(kind: String, path: String, code: String)] {
        let guide = packageDirectory.appendingPathComponent("../../docs/vapor.md").standardizedFileURL
        let lines = try String(contentsOf: guide, encoding: .utf8).components(separatedBy: "\n")
        var blocks: [(String, String, String)] = []
        var index = 0
        while index < lines.count {
            let line = lines[index].trimmingCharacters(in: .whitespaces)
            index += 1
            guard line.hasPrefix("<!-- example: ") || line.hasPrefix("<!-- excerpt: "), line.hasSuffix(" -->") else { continue }
            let kind = line.hasPrefix("<!-- example: ") ? "example" : "excerpt"
            let path = String(line.dropFirst("<!-- example: ".count).dropLast(" -->".count))
            guard index < lines.count, lines[index].hasPrefix("```") else {
                Issue.record("docs/vapor.md: \(line) is not followed by a code block")
                continue
            }
            index += 1
            var code: [String] = []
            while index < lines.count, !lines[index].hasPrefix("```") {
                code.append(lines[index])
                index += 1
            }
            index += 1
            blocks.append((kind, path, code.joined(separator: "\n")))
        }
        return blocks
    }

    @Test("every file the guide shows is the example's file, exactly")
    func guideMatchesTheExample() throws {
        let blocks = try Self.markedBlocks()
        #expect(blocks.filter { $0.kind == "example" }.map(\.path).sorted() == [
            "Package.swift", "Sources/App/Tasks.swift", "Sources/App/configure.swift", "Sources/App/entrypoint.swift", "Sources/App/routes.swift",
        ])
        #expect(blocks.contains { $0.kind == "excerpt" })
        for block in blocks {
            let file = Self.packageDirectory.appendingPathComponent(block.path)
            let source = try String(contentsOf: file, encoding: .utf8)
            if block.kind == "example" {
                #expect(block.code == source.trimmingCharacters(in: .newlines), "docs/vapor.md differs from \(block.path)")
            } else {
                for line in block.code.components(separatedBy: "\n") {
                    let code = (line.range(of: "//").map { String(line[..<$0.lowerBound]) } ?? line).trimmingCharacters(in: .whitespaces)
                    guard !code.isEmpty else { continue }
                    #expect(source.contains(code), "docs/vapor.md shows `\(code)`, which \(block.path) does not have")
                }
            }
        }
    }

    @Test("the guide's flag table lists exactly the flags `App celeriac worker --help` shows")
    func flagTableMatchesTheCommand() async throws {
        let guide = Self.packageDirectory.appendingPathComponent("../../docs/vapor.md").standardizedFileURL
        let rows = try String(contentsOf: guide, encoding: .utf8).components(separatedBy: "\n").filter { $0.hasPrefix("| `-") }
        let documented = Set(rows.flatMap { Self.flags(in: $0.components(separatedBy: "|").dropFirst().first ?? "") })

        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let help = try AppProcess(arguments: ["celeriac", "worker", "--help"], directory: directory.path)
        #expect(try await help.waitForExit(timeout: .seconds(60)) == 0, "\(help.log.suffix(2000))")
        let usage = try #require(help.log.components(separatedBy: "\n").first { $0.hasPrefix("Usage:") })
        let shown = Set(Self.flags(in: usage))
        #expect(shown.contains("--broker") && shown.contains("-Q"), "\(usage)")
        #expect(documented == shown, "only in docs/vapor.md: \(documented.subtracting(shown).sorted()); only in --help: \(shown.subtracting(documented).sorted())")
    }

    /// `--name` and `-X` tokens in `text`.
    static func flags(in text: String) -> [String] {
        text.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "-") }).map(String.init).filter { token in
            (token.hasPrefix("--") && token.count > 2) || (token.hasPrefix("-") && token.count == 2 && token.last?.isLetter == true)
        }
    }
}
