import Celeriac
import CeleriacVapor
import Vapor

/// `POST /add`'s body.
struct AddRequest: Content {
    var x: Int
    var y: Int
}

/// The answer to `POST /add`: the task id.
struct TaskCreated: Content {
    var id: String
}

/// The answer to `GET /tasks/:id`: Celery's state and, when ready, the result (or the error).
struct TaskStatus: Content {
    var id: String
    var state: String
    var result: JSONValue?
    var traceback: String?
}

/// The routes.
func routes(_ app: Application) throws {
    app.post("add") { req async throws -> TaskCreated in
        let body = try req.content.decode(AddRequest.self)
        let result = try await req.celeriac.delay(Tasks.add, AddArguments(x: body.x, y: body.y))
        return TaskCreated(id: result.id)
    }

    app.get("tasks", ":id") { req async throws -> TaskStatus in
        guard let id = req.parameters.get("id"), !id.isEmpty, id.count <= 255 else {
            throw Abort(.badRequest, reason: "a task id is required")
        }
        let result = try await req.celeriac.result(id: id)
        guard let meta = try await result.meta() else {
            return TaskStatus(id: id, state: TaskState.pending.rawValue)
        }
        return TaskStatus(id: id, state: meta.status.rawValue, result: meta.result, traceback: meta.traceback)
    }
}
