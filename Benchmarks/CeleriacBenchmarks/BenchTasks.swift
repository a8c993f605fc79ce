import Celeriac

#if canImport(Glibc)
import Glibc
#endif

/// The benchmark's tasks, under the names Celery's benchmarks use.
enum BenchTasks {
    /// The arguments of `tasks.add(x, y)`.
    struct Pair: TaskArguments, Hashable {
        static let parameterNames = ["x", "y"]
        var x: Int
        var y: Int
    }

    /// `tasks.noop()`: does nothing, returns None.
    static let noop = TaskName<NoArguments, JSONValue>("tasks.noop")
    /// `tasks.add(x, y)`: returns x + y.
    static let add = TaskName<Pair, Int>("tasks.add")

    /// `bench.stamp()`: returns CLOCK_MONOTONIC in nanoseconds when the task runs, so the round trip
    /// can be split into the way there (send to start) and the way back (start to result read).
    static let stamp = TaskName<NoArguments, Int>("bench.stamp")

    /// CLOCK_MONOTONIC in nanoseconds: the same clock in every process of the machine.
    static func monotonicNanoseconds() -> Int {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return time.tv_sec * 1_000_000_000 + time.tv_nsec
    }

    /// The queue every benchmark uses.
    static let queue = "celery"

    /// A registry with both tasks.
    /// - Parameter ignoreResult: register them with `ignore_result` set (the message header still decides
    ///   when it is present).
    static func registry(ignoreResult: Bool) -> TaskRegistry {
        let registry = TaskRegistry()
        let options = TaskOptions(ignoreResult: ignoreResult ? true : nil)
        registry.register(noop, options: options) { _, _ in .null }
        registry.register(add, options: options) { args, _ in args.x &+ args.y }
        registry.register(stamp, options: options) { _, _ in monotonicNanoseconds() }
        return registry
    }
}
