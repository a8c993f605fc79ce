import Celeriac
import CeleriacSQLite

/// The producer side of a benchmark: an SQLite broker and result backend on one file, and an app over them.
struct BenchConnections: Sendable {
    let broker: SQLiteBroker
    let backend: SQLiteResultBackend?
    let app: CeleriacApp

    /// Opens the database at `path` (creating it).
    /// - Parameter results: whether to open the result backend too.
    static func open(path: String, results: Bool) async throws -> BenchConnections {
        let broker = try await SQLiteBroker(path: path)
        let backend = results ? try await SQLiteResultBackend(path: path) : nil
        let app = CeleriacApp(broker: broker, backend: backend, registry: BenchTasks.registry(ignoreResult: !results))
        return BenchConnections(broker: broker, backend: backend, app: app)
    }

    /// Messages waiting and unacked, summed over the queues.
    func depth() async throws -> (ready: Int, unacked: Int) {
        let depths = try await broker.queueDepths()
        return (depths.reduce(0) { $0 + $1.ready }, depths.reduce(0) { $0 + $1.unacked })
    }

    /// Publishes `count` `tasks.noop` messages with `ignore_result` in batches of `batchSize`.
    func publishNoops(count: Int, batchSize: Int) async throws {
        var sent = 0
        while sent < count {
            let size = min(batchSize, count - sent)
            var batch: [OutgoingEnvelope] = []
            batch.reserveCapacity(size)
            for _ in 0..<size {
                let (message, queue) = app.makeMessage(name: BenchTasks.noop.name, args: [], kwargs: [:], options: CallOptions(ignoreResult: true))
                batch.append(OutgoingEnvelope(envelope: message.envelopeBytes(), queue: queue, priority: message.properties.priority))
            }
            try await broker.publish(batch: batch)
            sent += size
        }
    }

    /// Closes the broker and backend.
    func close() async {
        await backend?.close()
        await broker.close()
    }
}
