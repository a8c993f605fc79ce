/// Where revoked task ids are kept so every worker sees them and they survive a worker restart.
///
/// Celery keeps revoked ids in each worker's memory and broadcasts `revoke` over the pidbox; brokers
/// that can store them (the SQLite broker) implement this protocol, and workers read it on start and
/// then periodically.
public protocol RevocationStore: Sendable {
    /// Marks task ids as revoked.
    func revoke(_ taskIDs: [String]) async throws

    /// The revoked ids recorded after `sequence` (0 for all), with the sequence to pass next time.
    func revokedTaskIDs(after sequence: Int64) async throws -> (ids: [String], next: Int64)
}
