import Celeriac
import Hummingbird

/// A request context that carries the ``CeleriacApp`` to handlers, set by ``CeleriacMiddleware``.
///
/// ```swift
/// struct AppRequestContext: CeleriacRequestContext {
///     var coreContext: CoreRequestContextStorage
///     var celeriac: CeleriacApp?
///     init(source: ApplicationRequestContextSource) {
///         coreContext = .init(source: source)
///     }
/// }
/// let router = Router(context: AppRequestContext.self)
/// router.add(middleware: CeleriacMiddleware(celeriac))
/// router.post("/report") { _, context in
///     let result = try await context.requireCeleriac().send(name: "reports.build")
///     return TaskSubmission(id: result.id)
/// }
/// ```
/// Or use ``BasicCeleriacRequestContext``, which is exactly that. Capturing the app in a closure or a
/// controller works as well; the context is for handlers written away from where the app is made.
public protocol CeleriacRequestContext: RequestContext {
    /// The app, once ``CeleriacMiddleware`` has run.
    var celeriac: CeleriacApp? { get set }
}

extension CeleriacRequestContext {
    /// The app.
    /// - Throws: `HTTPError(.internalServerError)` when ``CeleriacMiddleware`` was not added to the router.
    public func requireCeleriac() throws -> CeleriacApp {
        guard let celeriac else {
            throw HTTPError(.internalServerError, message: "Celeriac is not configured for this route (add CeleriacMiddleware to the router)")
        }
        return celeriac
    }
}

/// The simplest ``CeleriacRequestContext``: Hummingbird's basic context plus the app.
public struct BasicCeleriacRequestContext: CeleriacRequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The app, set by ``CeleriacMiddleware``.
    public var celeriac: CeleriacApp?

    /// Creates the context for a request.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.celeriac = nil
    }
}

/// Puts a ``CeleriacApp`` in every request's ``CeleriacRequestContext``.
public struct CeleriacMiddleware<Context: CeleriacRequestContext>: RouterMiddleware {
    /// The app handed to handlers.
    public let app: CeleriacApp

    /// Creates the middleware.
    public init(_ app: CeleriacApp) {
        self.app = app
    }

    /// Sets `context.celeriac` and calls the next responder.
    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.celeriac = app
        return try await next(request, context)
    }
}
