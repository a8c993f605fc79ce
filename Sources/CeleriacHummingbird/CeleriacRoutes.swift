import Celeriac
import Hummingbird
import Logging

/// Ready-made routes to send tasks and read their state over HTTP, for a ``CeleriacApp`` held by the
/// application.
///
/// ```swift
/// let router = Router()
/// CeleriacRoutes(app: celeriac, allowedTasks: .named(["tasks.add", "reports.build"]))
///     .add(to: router.group("tasks"))
/// ```
/// gives
///
/// | Route | What it does |
/// |---|---|
/// | `POST /tasks` `{"task": "tasks.add", "args": [2, 3], "kwargs": {}, "options": {...}}` | sends the task (Celery's `send_task`): `202` with `{"task_id", "state": "PENDING", "status_url"}` and a `Location` header |
/// | `GET /tasks/{id}` | the task's state as ``TaskStatus`` (`?wait=5` waits up to 5 s for it to finish) |
/// | `POST /tasks/{id}/revoke` | revokes the task (Celery's `revoke`), then answers its state |
///
/// Bad input is a `400` whose JSON body says what to fix (`{"error": {"message": "'args' must be an array ..."}}`);
/// a task outside ``AllowedTasks`` is a `403`; a body over ``maximumBodySize`` a `413`; a broker or backend that
/// fails a `503`. Nothing here runs a task: workers do, in this process or elsewhere.
public struct CeleriacRoutes: Sendable {
    /// Which task names `POST` may send. Sending tasks by name from the network is powerful: say which.
    public struct AllowedTasks: Sendable {
        private let rule: @Sendable (String, CeleriacApp) -> Bool
        /// The rule in words, for the `403` message.
        public let summary: String

        /// Creates a rule from a predicate.
        public init(_ summary: String, _ allows: @escaping @Sendable (String, CeleriacApp) -> Bool) {
            self.summary = summary
            self.rule = allows
        }

        /// Whether `name` may be sent with `app`.
        public func allows(_ name: String, in app: CeleriacApp) -> Bool { rule(name, app) }

        /// Names this rule or `other` allows.
        public func union(_ other: AllowedTasks) -> AllowedTasks {
            AllowedTasks("\(summary), or \(other.summary)") { name, app in self.rule(name, app) || other.rule(name, app) }
        }

        /// The tasks registered in the app's registry, except Celery's built-in `celery.*` tasks (the default).
        public static let registered = AllowedTasks("the tasks registered in this application") { name, app in
            !name.hasPrefix("celery.") && app.registry.task(named: name) != nil
        }
        /// Exactly these names (for tasks other processes, such as Python workers, run).
        public static func named(_ names: Set<String>) -> AllowedTasks {
            AllowedTasks("one of \(names.sorted().joined(separator: ", "))") { name, _ in names.contains(name) }
        }
        /// Any name but Celery's built-in `celery.*` tasks: only behind authentication you trust.
        public static let any = AllowedTasks("any task but celery.*") { name, _ in !name.hasPrefix("celery.") }
    }

    /// The app tasks are sent with and results read from.
    public let app: CeleriacApp
    /// Which tasks may be sent.
    public let allowedTasks: AllowedTasks
    /// The longest `?wait=` a status request may ask for.
    public let maximumWait: Duration
    /// The largest request body accepted, in bytes.
    public let maximumBodySize: Int
    /// The path the routes are mounted at, for `status_url` and `Location` (`/tasks`).
    public let statusPath: String

    /// Creates the routes.
    /// - Parameters:
    ///   - app: the app to send with.
    ///   - allowedTasks: the names `POST` may send; the registered tasks by default.
    ///   - statusPath: where the group is mounted, for the `Location` of sent tasks; `/tasks` by default.
    ///   - maximumWait: the cap on `?wait=` (30 s).
    ///   - maximumBodySize: the largest body accepted (1 MiB).
    public init(
        app: CeleriacApp, allowedTasks: AllowedTasks = .registered, statusPath: String = "/tasks", maximumWait: Duration = .seconds(30),
        maximumBodySize: Int = 1 << 20
    ) {
        self.app = app
        self.allowedTasks = allowedTasks
        self.statusPath = statusPath
        self.maximumWait = maximumWait
        self.maximumBodySize = maximumBodySize
    }

    /// Adds the routes to `router` (a router or a group, e.g. `router.group("tasks")`).
    public func add<Context: RequestContext>(to router: some RouterMethods<Context>) {
        router.post { request, context in try await self.send(request, context: context) }
        router.get("{id}") { request, context in try await self.status(request, context: context) }
        router.post("{id}/revoke") { request, context in try await self.revoke(request, context: context) }
    }

    /// `POST`: sends the task the body names.
    public func send(_ request: Request, context: some RequestContext) async throws -> TaskSubmission {
        let sendRequest = try await Self.readSendRequest(request, maximumBodySize: maximumBodySize)
        guard allowedTasks.allows(sendRequest.task, in: app) else {
            throw HTTPError(.forbidden, message: "the task '\(sendRequest.task)' may not be sent here (allowed: \(allowedTasks.summary))")
        }
        let id = try await Self.send(sendRequest, app: app, logger: context.logger)
        return TaskSubmission(taskID: id, statusPath: statusPath)
    }

    /// `GET {id}`: the task's state.
    public func status(_ request: Request, context: some RequestContext) async throws -> TaskStatus {
        let id = try Self.taskID(context)
        var wait: Duration?
        if let text = request.uri.queryParameters["wait"] {
            guard let seconds = Double(String(text)), seconds.isFinite, seconds >= 0 else {
                throw HTTPError(.badRequest, message: "'wait' must be a number of seconds, not '\(text)'")
            }
            wait = min(.milliseconds(Int64(seconds * 1000)), maximumWait)
        }
        return try await Self.status(id, app: app, wait: wait)
    }

    /// `POST {id}/revoke`: revokes the task, then answers its state.
    public func revoke(_ request: Request, context: some RequestContext) async throws -> TaskStatus {
        let id = try Self.taskID(context)
        do {
            try await app.revoke(taskID: id)
        } catch {
            context.logger.error("celeriac: revoke failed", metadata: ["celery.task.id": "\(id)", "error": "\(error)"])
            throw HTTPError(.serviceUnavailable, message: "the task could not be revoked: \(Self.reason(error))")
        }
        return try await Self.status(id, app: app, wait: nil)
    }

    // MARK: Building blocks for your own handlers

    /// Reads a ``TaskSendRequest`` from a request's JSON body.
    /// - Throws: `HTTPError(.badRequest)` naming what is wrong; a `413` for a body over `maximumBodySize`.
    public static func readSendRequest(_ request: Request, task: String? = nil, maximumBodySize: Int = 1 << 20) async throws -> TaskSendRequest {
        let body = try await readJSON(request, maximumBodySize: maximumBodySize)
        do {
            return try TaskSendRequest(json: body, task: task)
        } catch {
            throw HTTPError(.badRequest, message: error.message)
        }
    }

    /// Reads a request's body as JSON.
    /// - Throws: `HTTPError(.badRequest)` for an empty or invalid body; a `413` for one over `maximumBodySize`.
    public static func readJSON(_ request: Request, maximumBodySize: Int = 1 << 20) async throws -> JSONValue {
        let buffer = try await request.body.collect(upTo: maximumBodySize)
        guard buffer.readableBytes > 0 else { throw HTTPError(.badRequest, message: "the request body is empty: send a JSON object") }
        do {
            return try JSONValue.parse(buffer.readableBytesView)
        } catch {
            throw HTTPError(.badRequest, message: "the body is not valid JSON: \(error)")
        }
    }

    /// Sends a task, mapping failures to HTTP errors: `413` for a message over the size limit, `503` when the
    /// broker fails.
    /// - Returns: the task id.
    public static func send(_ request: TaskSendRequest, app: CeleriacApp, logger: Logger) async throws -> String {
        do {
            let result = try await app.send(name: request.task, args: request.args, kwargs: request.kwargs, options: request.options)
            logger.debug("celeriac: task sent", metadata: ["celery.task.name": "\(request.task)", "celery.task.id": "\(result.id)"])
            return result.id
        } catch let error as CeleriacError where error.code == .messageTooLarge {
            throw HTTPError(.contentTooLarge, message: error.message)
        } catch {
            logger.error("celeriac: sending a task failed", metadata: ["celery.task.name": "\(request.task)", "error": "\(error)"])
            throw HTTPError(.serviceUnavailable, message: "the task could not be sent: \(reason(error))")
        }
    }

    /// A task's status, mapping failures to HTTP errors: `503` when no backend is configured or it fails.
    public static func status(_ id: String, app: CeleriacApp, wait: Duration?) async throws -> TaskStatus {
        do {
            return try await TaskStatus.fetch(id, app: app, wait: wait)
        } catch {
            app.logger.error("celeriac: reading a result failed", metadata: ["celery.task.id": "\(id)", "error": "\(error)"])
            throw HTTPError(.serviceUnavailable, message: "the task's state could not be read: \(reason(error))")
        }
    }

    private static func taskID(_ context: some RequestContext) throws -> String {
        let id = try context.parameters.require("id")
        guard !id.isEmpty, id.count <= 255, !id.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
            throw HTTPError(.badRequest, message: "not a task id: it must be 1 to 255 printable characters")
        }
        return id
    }

    private static func reason(_ error: any Error) -> String {
        (error as? CeleriacError)?.message ?? "\(error)"
    }
}
