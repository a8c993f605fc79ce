import Logging
import Vapor

/// The executable: `swift run App` serves HTTP, `swift run App celeriac worker` runs a worker.
@main
enum Entrypoint {
    static func main() async throws {
        var env = try Environment.detect()
        try LoggingSystem.bootstrap(from: &env)
        let app = try await Application.make(env)
        do {
            try await configure(app)
        } catch {
            app.logger.report(error: error)
            try? await app.asyncShutdown()
            exit(1)
        }
        do {
            try await app.execute()
        } catch {
            // execute() has logged the error: exit with status 1 rather than crash with a backtrace.
            try? await app.asyncShutdown()
            exit(1)
        }
        try await app.asyncShutdown()
    }
}
