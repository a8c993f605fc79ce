import PostgresNIO

extension PostgresClient {
    /// Runs a statement and reads its reply to the end, so the pooled connection is released at once.
    func exec(_ query: PostgresQuery) async throws {
        let rows = try await self.query(query)
        for try await _ in rows {}
    }
}

extension PostgresConnection {
    /// Runs a statement on this connection and reads its reply to the end.
    func exec(_ query: PostgresQuery) async throws {
        let rows = try await self.query(query, logger: PostgresResultBackend.silent)
        for try await _ in rows {}
    }
}
