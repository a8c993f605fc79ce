/// How the benchmark's worker processes run; turned into `celeriac-bench worker` arguments.
struct WorkerOptions: Sendable {
    /// The SQLite database (broker and results).
    var database: String
    /// Tasks run at once per process (`-c`).
    var concurrency = 8
    /// Celery's `worker_prefetch_multiplier` (4 by default, as in Celery).
    var prefetchMultiplier = 4
    /// `task_acks_late`.
    var acksLate = false
    /// Store results (`task_ignore_result` off); otherwise the worker ignores them.
    var results = false

    /// The command-line arguments of worker number `index`.
    /// - Parameter statsPath: where the worker writes its broker call counts at exit.
    func arguments(index: Int, statsPath: String) -> [String] {
        var arguments = [
            "worker", "--db", database, "-c", String(concurrency), "--prefetch-multiplier", String(prefetchMultiplier),
            "--index", String(index), "--stats", statsPath,
        ]
        if acksLate { arguments.append("--acks-late") }
        if results { arguments.append("--results") }
        return arguments
    }
}
