import Celeriac
import Synchronization

/// The last queue depths read from the broker, for the metrics endpoint (which cannot wait on the broker).
final class QueueCache: Sendable {
    private let storage = Mutex<(depths: [QueueDepth], priorities: [String: [Int: Int]])>(([], [:]))

    func update(_ depths: [QueueDepth], priorities: [String: [Int: Int]]) {
        storage.withLock { $0 = (depths, priorities) }
    }

    var depths: [QueueDepth] { storage.withLock { $0.depths } }
    var priorities: [String: [Int: Int]] { storage.withLock { $0.priorities } }
}
