import Celeriac
import CeleriacHummingbird
import Hummingbird

/// `POST /add {"x": 2, "y": 3}`: sends `tasks.add(2, 3)` with the typed handle.
///
/// Answers `202 Accepted` with the task id and `Location: /tasks/<id>`; with `?wait=SECONDS` it waits up to
/// that long for the result and answers the task's state (`SUCCESS` and `"result": 5`).
enum AddRoutes {
    /// The body of `POST /add`, decoded with Hummingbird's JSON decoder.
    struct AddRequest: Decodable {
        var x: Int
        var y: Int
    }

    static func add(to router: Router<BasicCeleriacRequestContext>) {
        router.post("add") { request, context -> Response in
            let celeriac = try context.requireCeleriac()
            let body: AddRequest
            do {
                body = try await request.decode(as: AddRequest.self, context: context)
            } catch {
                throw HTTPError(.badRequest, message: #"send {"x": <integer>, "y": <integer>}"#)
            }
            let result: AsyncResult<Int>
            do {
                result = try await celeriac.delay(ExampleTasks.add, .init(x: body.x, y: body.y))
            } catch {
                throw HTTPError(.serviceUnavailable, message: "the task could not be sent: \(error)")
            }
            guard let text = request.uri.queryParameters["wait"] else {
                return TaskSubmission(taskID: result.id).response(from: request, context: context)
            }
            guard let seconds = Double(String(text)), seconds.isFinite, seconds >= 0, seconds <= 60 else {
                throw HTTPError(.badRequest, message: "'wait' must be a number of seconds from 0 to 60")
            }
            let status = try await CeleriacRoutes.status(result.id, app: celeriac, wait: .milliseconds(Int64(seconds * 1000)))
            return status.response(from: request, context: context)
        }
    }
}
