import Celeriac
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A minimal HTTP client for the tests: real requests over TCP to the app under test, through URLSession.
struct HTTPTestClient: Sendable {
    /// One answer.
    struct Reply: Sendable, CustomStringConvertible {
        var status: Int
        var headers: [String: String]
        var body: String

        /// The body as JSON, or `.null` when it is not JSON.
        var json: JSONValue { (try? JSONValue.parse(body)) ?? .null }
        /// `json["key"]`.
        subscript(key: String) -> JSONValue? { json.objectValue?[key] }
        /// Hummingbird's error message (`{"error": {"message": ...}}`).
        var errorMessage: String? { json.objectValue?["error"]?.objectValue?["message"]?.stringValue }

        var description: String { "HTTP \(status) \(body)" }
    }

    let base: String
    private let session: URLSession

    init(port: Int) {
        self.base = "http://127.0.0.1:\(port)"
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 30
        self.session = URLSession(configuration: configuration)
    }

    func get(_ path: String) async throws -> Reply {
        try await send("GET", path, body: nil)
    }

    func post(_ path: String, _ body: String? = nil) async throws -> Reply {
        try await send("POST", path, body: body)
    }

    func send(_ method: String, _ path: String, body: String?) async throws -> Reply {
        guard let url = URL(string: base + path) else { throw CeleriacError(.invalidURL, "bad test URL \(base + path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await session.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw CeleriacError(.badResult, "not an HTTP response") }
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
            if let key = key as? String, let value = value as? String { headers[key.lowercased()] = value }
        }
        return Reply(status: http.statusCode, headers: headers, body: String(decoding: data, as: UTF8.self))
    }

    /// Polls `GET path` until `done` holds for the reply or `timeout` passes; returns the last reply.
    func poll(_ path: String, timeout: Duration = .seconds(20), until done: (Reply) -> Bool) async throws -> Reply {
        let deadline = ContinuousClock.now + timeout
        while true {
            let reply = try await get(path)
            if done(reply) || ContinuousClock.now >= deadline { return reply }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
