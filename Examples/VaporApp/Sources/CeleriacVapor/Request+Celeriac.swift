import Celeriac
import Vapor

extension Request {
    /// Celeriac for this request: send tasks and read results with the application's client.
    ///
    /// ```swift
    /// app.post("add") { req async throws -> TaskCreated in
    ///     let numbers = try req.content.decode(AddRequest.self)
    ///     let result = try await req.celeriac.delay(add, AddArguments(x: numbers.x, y: numbers.y))
    ///     return TaskCreated(id: result.id)
    /// }
    /// ```
    public var celeriac: CeleriacRequestSupport {
        CeleriacRequestSupport(box: application.celeriac.box)
    }

    /// `req.celeriac`: see ``Vapor/Request/celeriac``.
    public struct CeleriacRequestSupport: Sendable {
        let box: CeleriacBox

        /// The application's client (the broker and result backend are opened on first use).
        public func client() async throws -> CeleriacApp {
            try await box.client()
        }

        /// Sends a typed task (Celery's `delay`).
        /// - Returns: a handle on the result; its ``AsyncResult/id`` is the task id.
        @discardableResult
        public func delay<A, O>(_ task: TaskName<A, O>, _ arguments: A) async throws -> AsyncResult<O> {
            try await client().delay(task, arguments)
        }

        /// Sends a typed task with call options: countdown, ETA, queue, priority... (Celery's `apply_async`).
        @discardableResult
        public func applyAsync<A, O>(_ task: TaskName<A, O>, _ arguments: A, options: CallOptions) async throws -> AsyncResult<O> {
            try await client().applyAsync(task, arguments, options: options)
        }

        /// Sends a task by name with JSON arguments (Celery's `send_task`), for tasks of other services, such
        /// as Python Celery workers.
        @discardableResult
        public func send(name: String, args: [JSONValue] = [], kwargs: JSONObject = [:], options: CallOptions = CallOptions()) async throws -> AsyncResult<JSONValue> {
            try await client().send(name: name, args: args, kwargs: kwargs, options: options)
        }

        /// A handle on the result of the task `id`.
        public func result<O: Decodable & Sendable>(id: String, as type: O.Type = JSONValue.self) async throws -> AsyncResult<O> {
            try await client().asyncResult(id: id, as: type)
        }
    }
}
