import Celeriac
import CeleriacRedis
import CeleriacSQLite

extension CeleriacConnections {
    /// Opens the ``BeatStore`` for this broker: an `SQLiteBeatStore` on the SQLite broker's file, a
    /// `RedisBeatStore` on the Redis broker's client (with its `global_keyprefix`), or an `SQLiteBeatStore` on
    /// `schedulePath` when one is given (Celery's `beat -s`), whatever the broker.
    /// - Parameters:
    ///   - configuration: the settings the connections were opened with.
    ///   - schedulePath: an SQLite file for the beat state instead of the broker.
    ///   - leaseName: the lease's name: beats of different applications on one broker use different names.
    /// - Throws: ``CeleriacError`` when the store cannot be opened, or the broker keeps no beat state.
    public func openBeatStore(_ configuration: CeleriacConfiguration, schedulePath: String? = nil, leaseName: String = "default") async throws -> any BeatStore {
        if let schedulePath {
            return try await SQLiteBeatStore(path: schedulePath, leaseName: leaseName)
        }
        if let sqlite = broker as? SQLiteBroker {
            return try await SQLiteBeatStore(path: sqlite.path, leaseName: leaseName)
        }
        if let redis = broker as? RedisBroker {
            return RedisBeatStore(client: redis.client, keyPrefix: configuration.brokerTransportOptions.globalKeyprefix ?? "", leaseName: leaseName)
        }
        throw CeleriacError(.invalidConfiguration, "beat: the broker \(ServiceURL.redact(configuration.effectiveBrokerURL)) keeps no beat state; pass --schedule PATH for an SQLite file")
    }
}
