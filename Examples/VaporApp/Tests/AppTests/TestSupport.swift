import Celeriac
import CeleriacVapor
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App

/// A fresh directory under the system's temporary directory, removed with ``remove()``.
struct TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("celeriac-vapor-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// `sqlite:////abs/path/celeriac.sqlite`: the broker and result backend file in this directory.
    var sqliteURL: String { "sqlite:///" + path + "/celeriac.sqlite" }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Runs `test` on the example application configured by its own `configure(_:)`, with its broker and result
/// backend moved to `brokerURL`, or an SQLite file in `directory`, then shuts it down.
func withExampleApp<T>(
    directory: TemporaryDirectory, inProcessWorker: Bool, brokerURL: String? = nil, _ test: (Application) async throws -> T
) async throws -> T {
    try await withApp(configure: { app in
        // Boot sees no command, as `swift run App` with no arguments: the in-process worker's rule.
        app.environment.arguments = ["App"]
        try await configure(app)
        app.celeriac.configuration?.brokerURL = brokerURL ?? directory.sqliteURL
        app.celeriac.configuration?.resultBackend = brokerURL ?? directory.sqliteURL
        app.celeriac.inProcessWorker = inProcessWorker ? CeleriacWorkerOptions(concurrency: 2, gracePeriod: .seconds(20)) : nil
    }, test)
}

/// `{"x": x, "y": y}` as a request body.
func jsonBody(_ object: [String: Any]) throws -> ByteBuffer {
    ByteBuffer(string: String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
}

/// Posts `/add` and returns the task id.
func postAdd(_ app: Application, x: Int, y: Int) async throws -> String {
    var headers = HTTPHeaders()
    headers.contentType = .json
    let response = try await app.testing().sendRequest(.POST, "add", headers: headers, body: jsonBody(["x": x, "y": y]))
    #expect(response.status == .ok, "POST /add answered \(response.status): \(response.body.string)")
    return try response.content.decode(TaskCreated.self).id
}

/// Reads `GET /tasks/:id`.
func taskStatus(_ app: Application, id: String) async throws -> TaskStatus {
    let response = try await app.testing().sendRequest(.GET, "tasks/\(id)")
    #expect(response.status == .ok, "GET /tasks/\(id) answered \(response.status): \(response.body.string)")
    return try response.content.decode(TaskStatus.self)
}

/// Polls `GET /tasks/:id` until the task is ready (SUCCESS, FAILURE or REVOKED) or `timeout` passes.
func waitForReady(_ app: Application, id: String, timeout: Duration = .seconds(60)) async throws -> TaskStatus {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while true {
        let status = try await taskStatus(app, id: id)
        if ["SUCCESS", "FAILURE", "REVOKED"].contains(status.state) { return status }
        if clock.now > deadline {
            Issue.record("task \(id) still \(status.state) after \(timeout)")
            return status
        }
        try await Task.sleep(for: .milliseconds(100))
    }
}
