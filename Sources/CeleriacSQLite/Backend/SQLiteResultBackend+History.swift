import Celeriac

extension SQLiteResultBackend: ResultHistory {
    /// Up to `limit` stored results, newest `date_done` first, then unfinished ones newest written first.
    /// Rows whose JSON is not result metadata are skipped.
    /// - Throws: `CeleriacError` when the database fails.
    public func recentResults(limit: Int) async throws -> [ResultMeta] {
        guard limit > 0 else { return [] }
        let rows = try await connection.perform { db in
            var rows: [[UInt8]] = []
            try db.query(
                "SELECT meta FROM celeriac_taskmeta ORDER BY date_done IS NULL, date_done DESC, rowid DESC LIMIT ?",
                [.integer(Int64(limit))]
            ) { row in
                rows.append(row.blob(0))
            }
            return rows
        }
        return rows.compactMap { bytes in
            guard let object = try? JSONValue.parse(bytes).objectValue else { return nil }
            return try? ResultMeta(json: object)
        }
    }
}
