import Celeriac
import PostgresNIO

extension PostgresResultBackend: ResultHistory {
    /// Up to `limit` stored results, newest `date_done` first (rows without one last): the ids from one
    /// indexed query on the layout's table, then each row read as ``meta(for:)`` reads it. Rows that hold
    /// something other than JSON (a pickle) are skipped.
    /// - Throws: ``CeleriacError`` when the database fails.
    public func recentResults(limit: Int) async throws -> [ResultMeta] {
        guard limit > 0 else { return [] }
        let isCelery = configuration.layout == .celery
        let ids: [String] = try await perform("listing results") { client in
            let rows =
                isCelery
                ? try await client.query("SELECT task_id FROM celery_taskmeta ORDER BY date_done DESC NULLS LAST, id DESC LIMIT \(limit)")
                : try await client.query("SELECT task_id FROM django_celery_results_taskresult ORDER BY date_done DESC NULLS LAST, id DESC LIMIT \(limit)")
            var ids: [String] = []
            for try await (id) in rows.decode(String?.self) { if let id { ids.append(id) } }
            return ids
        }
        var results: [ResultMeta] = []
        for id in ids {
            do {
                if let meta = try await meta(for: id) { results.append(meta) }
            } catch let error as CeleriacError where error.code == .malformedResult {
                continue
            }
        }
        return results
    }
}
