import Celeriac
import CeleriacTesting
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// Arguments of the test task `tests.add(x, y)`.
struct AddArguments: TaskArguments, Hashable {
    static let parameterNames = ["x", "y"]
    var x: Int
    var y: Int
}

/// `tests.add`: returns `x + y`.
let addTask = TaskName<AddArguments, Int>("tests.add")

/// An error type for tasks that fail on purpose.
struct Flaky: Error {}

extension Logger {
    /// A logger that drops everything, so tests never touch the global logging system.
    static let quiet = Logger(label: "celeriac.tests", factory: { _ in SwiftLogNoOpLogHandler() })
}

/// An app on an in-memory broker and backend, and a way to run a real ``Worker`` against them.
struct WorkerHarness {
    let broker = InMemoryBroker()
    let backend = InMemoryResultBackend()
    let app: CeleriacApp

    init(_ configure: (inout CeleriacConfiguration) -> Void = { _ in }) {
        var configuration = CeleriacConfiguration()
        configure(&configuration)
        app = CeleriacApp(configuration: configuration, broker: broker, backend: backend, logger: .quiet)
    }

    /// A worker configuration with fast polling intervals for tests.
    static func configuration(
        concurrency: Int = 1, prefetchMultiplier: Int = 4, queues: [String] = ["celery"], etaLimit: Int = 1000,
        shutdownGracePeriod: Duration = .seconds(3)
    ) -> Worker.Configuration {
        Worker.Configuration(
            concurrency: concurrency, prefetchMultiplier: prefetchMultiplier, queues: queues, hostname: "celery@test",
            etaLimit: etaLimit, shutdownGracePeriod: shutdownGracePeriod, revocationRefreshInterval: .milliseconds(20),
            receiveTimeout: .milliseconds(50))
    }

    /// Runs a worker in a `ServiceGroup` while `body` runs, then shuts it down gracefully and waits for it
    /// (swift-jobs' `TestUtils` pattern).
    func withWorker<T>(
        _ configuration: Worker.Configuration = WorkerHarness.configuration(), logger: Logger = .quiet,
        _ body: (Worker) async throws -> T
    ) async throws -> T {
        let worker = Worker(app: app, configuration: configuration, logger: logger)
        let group = ServiceGroup(services: [worker], logger: .quiet)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let result: Result<T, any Error>
            do {
                result = .success(try await body(worker))
            } catch {
                result = .failure(error)
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return try result.get()
        }
    }

    /// Sends a no-op task and waits for it. With concurrency 1 every task received before it has then run to
    /// its end (result stored, callbacks sent).
    func fence(timeout: Duration = .seconds(10)) async throws {
        if app.registry.task(named: "tests.fence") == nil {
            app.registry.register(name: "tests.fence") { _, _, _ in .null }
        }
        let result = try await app.send(name: "tests.fence")
        _ = try await result.get(timeout: timeout)
    }

    /// The decoded messages published for a task id, in order.
    func publishedMessages(of taskID: String) throws -> [TaskMessage] {
        try broker.published.filter { $0.taskID == taskID }.map { try $0.message() }
    }
}

/// Collects values from task bodies.
final class Probe<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])

    init() {}

    func append(_ value: Value) { values.withLock { $0.append(value) } }

    var all: [Value] { values.withLock { $0 } }

    var count: Int { values.withLock { $0.count } }

    /// Waits until at least `count` values were collected.
    @discardableResult
    func waitForCount(_ count: Int, timeout: Duration = .seconds(15)) async -> Bool {
        await eventually(timeout: timeout) { self.count >= count }
    }
}

/// Polls `condition` until it holds or the timeout passes.
@discardableResult
func eventually(timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

extension TaskError {
    /// Reads the exception dict of a stored meta.
    static func stored(in meta: ResultMeta?) -> TaskError? {
        meta.flatMap { TaskError(json: $0.result) }
    }
}

/// A boolean shared between a test and task bodies.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)

    init() {}

    func set() { value.store(true, ordering: .releasing) }

    var isSet: Bool { value.load(ordering: .acquiring) }
}
