import Celeriac
import Foundation

/// Sends the demo's mix of tasks and collects their results.
struct DemoProducer {
    let app: CeleriacApp
    let count: Int

    /// One sent task and what it should produce.
    private struct Sent {
        var result: AsyncResult<JSONValue>
        var expected: Expected
    }

    private enum Expected {
        case value(JSONValue)
        case failure(String)
    }

    /// Sends `count` tasks, waits for all of them, and reports progress as results arrive.
    func run(progress: @escaping @Sendable (Int) -> Void) async throws -> DemoSummary {
        var sent: [Sent] = []
        sent.reserveCapacity(count)
        for index in 0..<count {
            let (name, args, expected) = Self.task(number: index)
            let result = try await app.send(name: name, args: args, options: CallOptions(ignoreResult: false))
            sent.append(Sent(result: result, expected: expected))
        }
        var summary = DemoSummary(sent: count)
        for (index, item) in sent.enumerated() {
            do {
                let value = try await item.result.get(timeout: .seconds(120))
                if case .value(let expected) = item.expected, expected == value {
                    summary.succeeded += 1
                } else {
                    summary.unexpected += 1
                    summary.note("task \(item.result.id): expected \(item.expected), got \(value.serialized(.python))")
                }
            } catch let error as TaskFailedError {
                if case .failure(let type) = item.expected, error.error.excType == type {
                    summary.failed += 1
                } else {
                    summary.unexpected += 1
                    summary.note("task \(item.result.id): expected \(item.expected), got \(error)")
                }
            }
            if index % 25 == 0 || index == sent.count - 1 { progress(index + 1) }
        }
        return summary
    }

    /// The task for position `n` of the batch, with its expected outcome.
    private static func task(number n: Int) -> (String, [JSONValue], Expected) {
        switch n % 10 {
        case 0, 1, 2: ("tasks.add", [.int(n), .int(1)], .value(.int(n + 1)))
        case 3: ("tasks.mul", [.int(n), .int(2)], .value(.int(n * 2)))
        case 4: ("tasks.xsum", [.array([.int(1), .int(2), .int(n)])], .value(.int(3 + n)))
        case 5: ("tasks.echo", [.object(["n": .int(n), "text": "héllo"])], .value(.object(["n": .int(n), "text": "héllo"])))
        case 6: ("tasks.noop", [], .value(.null))
        case 7: ("tasks.sleep", [.double(0.01)], .value(.double(0.01)))
        case 8: n % 20 == 8 ? ("tasks.fail", [.string("demo failure \(n)")], .failure("ValueError")) : ("tasks.add", [.int(1), .int(1)], .value(.int(2)))
        default: ("tasks.retrying", [.int(2)], .value(.int(2)))
        }
    }
}

/// What the demo counted.
struct DemoSummary: Sendable {
    var sent: Int
    var succeeded = 0
    var failed = 0
    var unexpected = 0
    var notes: [String] = []

    mutating func note(_ text: String) {
        if notes.count < 10 { notes.append(text) }
    }

    init(sent: Int) { self.sent = sent }

    func print(elapsed: Duration, worker: Worker.Counters) {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        Swift.print("""
            Summary
              tasks sent:        \(sent)
              succeeded:         \(succeeded)
              failed (expected): \(failed)  (tasks.fail raises ValueError)
              retries:           \(worker.retried)  (tasks.retrying retries twice)
              wrong results:     \(unexpected)
              elapsed:           \(String(format: "%.2f", seconds)) s
              throughput:        \(String(format: "%.0f", Double(sent) / max(seconds, 0.001))) tasks/s (send, run, store, read back)
            """)
        for note in notes { Swift.print("  unexpected: \(note)") }
    }
}
