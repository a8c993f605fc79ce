/// A table of results, printed aligned for a terminal or as Markdown.
struct ReportTable: Sendable {
    /// The column titles.
    var columns: [String]
    /// Which columns are right-aligned (numbers).
    var numeric: Set<Int>
    /// The rows, one string per column.
    var rows: [[String]] = []

    /// Creates an empty table; every column but the first is numeric unless said otherwise.
    init(columns: [String], numeric: Set<Int>? = nil) {
        self.columns = columns
        self.numeric = numeric ?? Set(1..<columns.count)
    }

    /// Adds a row.
    mutating func add(_ row: [String]) {
        rows.append(row)
    }

    /// The table as aligned text (or Markdown when `markdown`).
    func render(markdown: Bool = false) -> String {
        let widths = columns.indices.map { column in
            ([columns[column]] + rows.map { column < $0.count ? $0[column] : "" }).map(\.count).max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            let padded = columns.indices.map { column -> String in
                let cell = column < cells.count ? cells[column] : ""
                let pad = String(repeating: " ", count: max(0, widths[column] - cell.count))
                return numeric.contains(column) ? pad + cell : cell + pad
            }
            return markdown ? "| " + padded.joined(separator: " | ") + " |" : padded.joined(separator: "  ")
        }
        var lines = [line(columns)]
        if markdown {
            let rule = columns.indices.map { column in
                let dashes = String(repeating: "-", count: max(3, widths[column]))
                return numeric.contains(column) ? String(dashes.dropLast()) + ":" : dashes
            }
            lines.append("| " + rule.joined(separator: " | ") + " |")
        } else {
            lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        }
        lines += rows.map(line)
        return lines.joined(separator: "\n")
    }
}
