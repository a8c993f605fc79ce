import Celeriac
import HTTPTypes
import Hummingbird

/// Applies ``DashboardSecurity`` to every request: authentication (basic or token; `/?token=` logs in with a
/// cookie), the CSRF token on every non-GET request, and headers that forbid inline scripts and framing.
struct DashboardSecurityMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let configuration: DashboardConfiguration
    static let csrfField = HTTPField.Name(DashboardSecurity.csrfHeader)
    static let fetchSiteField = HTTPField.Name("Sec-Fetch-Site")
    static let frameOptionsField = HTTPField.Name("X-Frame-Options")
    static let referrerPolicyField = HTTPField.Name("Referrer-Policy")

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await check(request, context: context, next: next)
        response.headers[.contentSecurityPolicy] =
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
        response.headers[.xContentTypeOptions] = "nosniff"
        if let name = Self.frameOptionsField { response.headers[name] = "DENY" }
        if let name = Self.referrerPolicyField { response.headers[name] = "no-referrer" }
        return response
    }

    private func check(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let authorization = request.headers[.authorization]
        let cookie = request.headers[.cookie]
        if !DashboardSecurity.isAuthorized(configuration.authentication, authorization: authorization, cookie: cookie) {
            // `/?token=...` exchanges the token for an HttpOnly, SameSite=Strict cookie and drops it from the URL.
            if case .token(let token) = configuration.authentication, request.method == .get,
                let given = request.uri.queryParameters.get("token"), DashboardSecurity.constantTimeEquals(given, token)
            {
                return Response(status: .seeOther, headers: [
                    .location: "/", .setCookie: "\(DashboardSecurity.tokenCookie)=\(token); Path=/; HttpOnly; SameSite=Strict",
                ])
            }
            var headers: HTTPFields = [.contentType: "text/plain; charset=utf-8"]
            if case .basic = configuration.authentication { headers[.wwwAuthenticate] = #"Basic realm="Celeriac dashboard", charset="UTF-8""# }
            return Response(status: .unauthorized, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: "authentication required\n")))
        }
        if request.method != .get && request.method != .head {
            let sent = Self.csrfField.flatMap { request.headers[$0] }
            let site = Self.fetchSiteField.flatMap { request.headers[$0] }
            guard DashboardSecurity.isSameOriginAction(sent: sent, expected: configuration.csrfToken, fetchSite: site) else {
                return Response(
                    status: .forbidden, headers: [.contentType: "text/plain; charset=utf-8"],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: "missing or wrong \(DashboardSecurity.csrfHeader)\n")))
            }
        }
        return try await next(request, context)
    }
}
