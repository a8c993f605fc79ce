import Celeriac
import Hummingbird

/// A JSON response body written from a ``JSONValue``, keys in the order given and integers exact (a result
/// of 2^62 stays 2^62, which a `Double` round trip would change).
///
/// ```swift
/// router.get("/health") { _, _ in JSONResponse(["ok": true]) }
/// ```
public struct JSONResponse: ResponseGenerator, Sendable {
    /// The body.
    public var value: JSONValue
    /// The HTTP status; 200 by default.
    public var status: HTTPResponse.Status
    /// Extra headers (the content type is set).
    public var headers: HTTPFields

    /// Creates a response.
    public init(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) {
        self.value = value
        self.status = status
        self.headers = headers
    }

    /// Creates a response from an object.
    public init(_ object: JSONObject, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) {
        self.init(.object(object), status: status, headers: headers)
    }

    /// The response: compact UTF-8 JSON with `Content-Type: application/json; charset=utf-8`.
    public func response(from request: Request, context: some RequestContext) -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        let buffer = ByteBuffer(bytes: value.serializedBytes(.compact))
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: buffer))
    }
}
