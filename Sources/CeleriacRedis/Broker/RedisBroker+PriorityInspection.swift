import Celeriac
import CeleriacRESP

extension RedisBroker: QueuePriorityInspection {
    /// The length of each bound queue's priority lists (kombu's steps 0, 3, 6 and 9), one `LLEN` each.
    /// - Throws: ``CeleriacError`` when Redis fails.
    public func queueDepthsByPriority() async throws -> [String: [Int: Int]] {
        try checkOpen()
        let names = try await boundQueues().sorted()
        guard !names.isEmpty else { return [:] }
        let steps = RedisKeys.prioritySteps
        let replies = try await run(names.flatMap { name in steps.map { RESPCommand("LLEN", .string(keys.list(name, step: $0))) } }, "reading queue lengths")
        var depths: [String: [Int: Int]] = [:]
        for (index, name) in names.enumerated() {
            var perStep: [Int: Int] = [:]
            for (offset, step) in steps.enumerated() { perStep[step] = replies[index * steps.count + offset].int ?? 0 }
            depths[name] = perStep
        }
        return depths
    }
}
