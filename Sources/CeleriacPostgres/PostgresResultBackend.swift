import Celeriac
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// Task results in PostgreSQL, in the rows Celery's database backend (`db+postgresql://`) or
/// django-celery-results (`django-db`) write, so Python clients, Django's admin and Django's ORM
/// (`TaskResult.objects`) read results of Swift workers, and Swift clients read results of Python workers.
///
/// Connections come from a postgres-nio `PostgresClient` pool that the backend runs itself; a server restart
/// costs the operations running at that moment one retry on a new connection, and while the server is down
/// operations fail after ``Configuration/operationTimeout`` (the worker retries storing results, as Celery
/// does). Missing tables are created at start with the DDL the Python libraries use; existing ones are
/// left alone.
///
/// ```swift
/// let backend = try await PostgresResultBackend(
///     configuration: .init(url: ServiceURL("db+postgresql://celery:secret@db:5432/results")))
/// let meta = try await backend.waitForReady(taskID: id, timeout: .seconds(10))
/// ```
public final class PostgresResultBackend: ResultBackend {
    /// The backend's settings.
    public let configuration: Configuration

    let client: PostgresClient
    let logger: Logger
    private let runner: Task<Void, Never>
    private let closed = Atomic<Bool>(false)

    /// Connects (failing at once, with a clear error, for a wrong password, a missing database or a server
    /// that cannot be reached), starts the connection pool and creates missing tables.
    /// - Throws: ``CeleriacError``: ``CeleriacError/Code/invalidConfiguration`` when PostgreSQL refuses the
    ///   credentials or the database does not exist, ``CeleriacError/Code/backendFailure`` when it cannot be
    ///   reached. Messages name ``Configuration/settingName`` and never contain the password.
    public init(configuration: Configuration) async throws {
        self.configuration = configuration
        self.logger = configuration.logger
        try await Self.checkConnection(configuration)
        var options = PostgresClient.Configuration(
            host: configuration.host, port: configuration.port, username: configuration.username,
            password: configuration.password, database: configuration.database, tls: .disable)
        options.options.maximumConnections = max(1, configuration.maximumConnections)
        options.options.connectTimeout = configuration.operationTimeout
        let client = PostgresClient(configuration: options, backgroundLogger: configuration.logger)
        self.client = client
        self.runner = Task { await client.run() }
        if configuration.createTables {
            do {
                try await createTables()
            } catch {
                runner.cancel()
                await runner.value
                throw error
            }
        }
    }

    deinit { runner.cancel() }

    /// Stops the connection pool; later calls throw ``CeleriacError/Code/closed``.
    public func close() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        runner.cancel()
        await runner.value
    }

    /// Stores a task's state, unless a SUCCESS is already stored for it (checked and written in one statement).
    /// - Throws: ``CeleriacError`` when the database fails.
    public func store(_ meta: ResultMeta) async throws {
        switch configuration.layout {
        case .celery: try await storeCelery(meta)
        case .django: try await storeDjango(meta)
        }
    }

    /// The stored state of `taskID`, or `nil` (PENDING).
    /// - Throws: ``CeleriacError`` when the database fails, ``CeleriacError/Code/malformedResult`` when the row
    ///   holds something other than JSON (a pickle, a compressed or binary-serialized result).
    public func meta(for taskID: String) async throws -> ResultMeta? {
        switch configuration.layout {
        case .celery: try await celeryMeta(for: taskID)
        case .django: try await djangoMeta(for: taskID)
        }
    }

    /// Reads the row every ``Configuration/pollInterval`` until its state is ready or `timeout` passes
    /// (`nil`: no limit). Python writers send no notification, so polling is what Celery does too.
    /// - Returns: the ready meta, or the last one seen (or `nil`) when the timeout passed.
    /// - Throws: ``CeleriacError`` when the database fails; `CancellationError` when the task is cancelled.
    public func waitForReady(taskID: String, timeout: Duration?) async throws -> ResultMeta? {
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now + $0 }
        while true {
            let meta = try await meta(for: taskID)
            if let meta, meta.status.isReady { return meta }
            var wait = configuration.pollInterval
            if let deadline {
                let remaining = deadline - clock.now
                if remaining <= .zero { return meta }
                wait = min(wait, remaining)
            }
            try await Task.sleep(for: wait)
        }
    }

    /// Deletes the stored result of `taskID`, if any (`AsyncResult.forget()`).
    /// - Throws: ``CeleriacError`` when the database fails.
    public func forget(taskID: String) async throws {
        let table = configuration.layout == .celery ? "celery_taskmeta" : "django_celery_results_taskresult"
        try await perform("deleting a result") { client in
            try await client.exec("DELETE FROM \(unescaped: table) WHERE task_id = \(taskID)")
        }
    }

    /// Celery's `result_expires` cleanup (`celery.backend_cleanup`): deletes task and group rows whose
    /// `date_done` is older than ``Configuration/resultExpires``. In Celery's layout rows without `date_done`
    /// (RETRY, STARTED, custom states) are kept, as Celery keeps them; django-celery-results sets
    /// `date_done` on every save, so there every row expires.
    /// - Returns: how many rows were deleted.
    /// - Throws: ``CeleriacError`` when the database fails.
    public func deleteExpired() async throws -> Int {
        guard let expires = configuration.resultExpires else { return 0 }
        let seconds = Double(expires.components.seconds) + Double(expires.components.attoseconds) / 1e18
        let (tasks, groups, now) =
            configuration.layout == .celery
            ? ("celery_taskmeta", "celery_tasksetmeta", "(now() AT TIME ZONE 'UTC')")
            : ("django_celery_results_taskresult", "django_celery_results_groupresult", "now()")
        let count = try await perform("deleting expired results") { client in
            var total = 0
            for table in [tasks, groups] {
                let rows = try await client.query(
                    "WITH gone AS (DELETE FROM \(unescaped: table) WHERE date_done < \(unescaped: now) - make_interval(secs => \(seconds)) RETURNING 1) SELECT count(*) FROM gone"
                )
                for try await (deleted) in rows.decode(Int.self) { total += deleted }
            }
            return total
        }
        if count > 0 {
            logger.debug("deleted expired results", metadata: ["count": "\(count)", "url": "\(configuration.displayURL)"])
        }
        return count
    }

    /// Creates the layout's missing tables, each statement on its own (they all say `IF NOT EXISTS`).
    func createTables() async throws {
        var statements = configuration.layout == .celery ? PostgresSchema.celery + PostgresSchema.celeryChordCounter : PostgresSchema.django
        if configuration.layout == .django {
            let existed = try await perform("looking for django_celery_results' tables") { client in
                let rows = try await client.query("SELECT to_regclass('django_celery_results_taskresult') IS NOT NULL")
                var found = false
                for try await (exists) in rows.decode(Bool.self) { found = exists }
                return found
            }
            if existed { return }
            statements += [PostgresSchema.djangoMigrations]
        }
        let all = statements
        let layout = configuration.layout
        try await perform("creating the result tables") { client in
            try await client.withTransaction(logger: Self.silent) { connection in
                // Two workers starting at once must not both try to create the same table.
                try await connection.exec("SELECT pg_advisory_xact_lock(7243095421)")
                for statement in all {
                    try await connection.exec(PostgresQuery(unsafeSQL: statement))
                }
                if layout == .django {
                    for name in PostgresSchema.djangoMigrationNames {
                        try await connection.exec(
                            """
                            INSERT INTO django_migrations (app, name, applied) SELECT 'django_celery_results', \(name), now()
                            WHERE NOT EXISTS (SELECT 1 FROM django_migrations WHERE app = 'django_celery_results' AND name = \(name))
                            """)
                    }
                }
            }
        }
    }

    /// Runs `body` on the pool within ``Configuration/operationTimeout``; an operation that lost its
    /// connection (a server restart) is tried once more on a new one. Errors become ``CeleriacError``.
    @discardableResult
    func perform<T: Sendable>(_ what: String, _ body: @escaping @Sendable (PostgresClient) async throws -> T) async throws -> T {
        guard !closed.load(ordering: .acquiring) else {
            throw CeleriacError(.closed, "the PostgreSQL result backend is closed")
        }
        let client = self.client
        var attempt = 0
        while true {
            do {
                return try await withTimeout(configuration.operationTimeout) { try await body(client) }
            } catch let error as PSQLError where attempt == 0 && Self.isConnectionLoss(error) {
                attempt += 1
                logger.debug("PostgreSQL connection lost, retrying", metadata: ["operation": "\(what)"])
            } catch is TimedOut {
                throw CeleriacError(
                    .backendFailure,
                    "\(configuration.settingName) \(configuration.displayURL): no answer from PostgreSQL within \(configuration.operationTimeout) while \(what) (is the server running?)"
                )
            } catch {
                throw Self.describe(error, configuration: configuration, while: what)
            }
        }
    }

    private struct TimedOut: Error {}

    private func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else { throw TimedOut() }
            return value
        }
    }

    static let silent = Logger(label: "celeriac.postgres.silent", factory: { _ in SwiftLogNoOpLogHandler() })
}
