import Celeriac
import CeleriacPrometheus
import Foundation
import Hummingbird

/// The dashboard's HTTP routes: the page and its script and style, the JSON API, the live stream and the
/// actions (POST with the page's CSRF token).
struct DashboardRoutes: Sendable {
    let dashboard: Dashboard

    var state: ClusterState { dashboard.state }
    var configuration: DashboardConfiguration { dashboard.configuration }

    func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: DashboardSecurityMiddleware(configuration: configuration))
        router.get("/") { _, _ in Self.text(DashboardPage.html(configuration: configuration), type: "text/html; charset=utf-8") }
        router.get("/app.js") { _, _ in Self.text(DashboardPage.script, type: "text/javascript; charset=utf-8") }
        router.get("/app.css") { _, _ in Self.text(DashboardPage.style, type: "text/css; charset=utf-8") }
        router.get("/favicon.ico") { _, _ in Response(status: .noContent) }
        router.get("/healthz") { _, _ in Self.json(["ok": true]) }
        if let exporter = dashboard.exporter { router.addMetricsRoute(exporter) }
        router.get("/api/overview") { _, _ in try await overview() }
        router.get("/api/tasks") { request, _ in
            let query = request.uri.queryParameters
            let tasks = state.tasks(
                state: query.get("state"), name: query.get("name"), worker: query.get("worker"),
                limit: query.get("limit", as: Int.self).map { min(max($0, 1), 2_000) } ?? 300)
            return Self.json(.object(["tasks": .array(tasks.map { $0.summaryJSON() })]))
        }
        router.get("/api/tasks/:id") { _, context in try await detail(id: try context.parameters.require("id")) }
        router.get("/api/stream") { _, _ in stream() }
        router.post("/api/tasks/:id/retry") { _, context in
            let id = try context.parameters.require("id")
            return try await perform {
                let (newID, source) = try await dashboard.actions.retry(taskID: id)
                return ["id": .string(newID), "source": .string(source.rawValue)]
            }
        }
        router.post("/api/tasks/:id/revoke") { request, context in
            let id = try context.parameters.require("id")
            let terminate = request.uri.queryParameters.get("terminate") == "true"
            return try await perform {
                try await dashboard.actions.revoke(taskID: id, terminate: terminate)
                return ["revoked": .string(id), "terminate": .bool(terminate)]
            }
        }
        router.post("/api/queues/:name/purge") { _, context in
            let name = try context.parameters.require("name")
            let queue = name.removingPercentEncoding ?? name
            return try await perform {
                ["queue": .string(queue), "purged": .int(try await dashboard.actions.purge(queue: queue))]
            }
        }
        return router
    }

    func overview() async throws -> Response {
        let now = Date().timeIntervalSince1970
        var queues: JSONValue
        do {
            let depths = try await dashboard.queueDepths()
            let priorities = dashboard.queues.priorities
            queues = .array(depths.map { depth in
                let steps = (priorities[depth.queue] ?? [:]).sorted { $0.key < $1.key }
                return .object([
                    "name": .string(depth.queue), "ready": .int(depth.ready), "unacked": .int(depth.unacked),
                    "priorities": .object(JSONObject(steps.map { (String($0.key), JSONValue.int($0.value)) })),
                ])
            })
        } catch {
            queues = .object(["error": .string("\(error)")])
        }
        return Self.json([
            "workers": .array(state.workers().map { $0.json(now: now) }),
            "queues": queues,
            "throughput": .array(state.throughput(now: now).map { .object(["start": .double($0.start), "succeeded": .int($0.succeeded), "failed": .int($0.failed)]) }),
            "states": .object(JSONObject(state.stateCounts().sorted { $0.key < $1.key }.map { ($0.key, JSONValue.int($0.value)) })),
            "events": .int(state.eventsSeen),
            "history": .bool(dashboard.app.backend is any ResultHistory),
            "now": .double(now),
        ])
    }

    func detail(id: String) async throws -> Response {
        if let backend = dashboard.app.backend, let meta = try? await backend.meta(for: id) { state.merge(meta) }
        guard let task = state.task(id) else {
            return Self.json(["error": .string("no task \(id) is known to the dashboard or stored in the result backend")], status: .notFound)
        }
        return Self.json(task.detailJSON())
    }

    /// Server-sent events: `task` and `worker` changes as they happen, for `liveConnectionLifetime`; the
    /// browser's `EventSource` reconnects after that (and after any drop).
    func stream() -> Response {
        let changes = state.feed.subscribe(lifetime: configuration.liveConnectionLifetime)
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
            body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: "retry: 1000\n: connected\n\n"))
                for await change in changes {
                    if change.kind == LiveFeed.keepAliveKind {
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                        continue
                    }
                    let data = change.payload.serialized(.compact)
                    try await writer.write(ByteBuffer(string: "event: \(change.kind)\ndata: \(data)\n\n"))
                }
                try await writer.finish(nil)
            })
    }

    func perform(_ action: @Sendable () async throws -> JSONObject) async throws -> Response {
        do {
            return Self.json(.object(try await action()))
        } catch let error as CeleriacError {
            let status: HTTPResponse.Status = error.code == .badArguments ? .unprocessableContent : .badGateway
            return Self.json(["error": .string(error.message)], status: status)
        } catch {
            return Self.json(["error": .string("\(error)")], status: .badGateway)
        }
    }

    static func text(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-store"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func json(_ value: JSONObject, status: HTTPResponse.Status = .ok) -> Response {
        json(.object(value), status: status)
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: value.serialized(.compact))))
    }
}
