import Celeriac
import CeleriacVapor
import Vapor

/// Configures the application: Celeriac's settings and tasks, the in-process worker, and the routes.
func configure(_ app: Application) async throws {
    // Settings, lowest first: this default, then CELERY_* environment variables (and Vapor's .env files).
    try app.celeriac.configure { settings in
        settings.brokerURL = "sqlite:///celeriac.sqlite"
    }
    Tasks.register(in: app.celeriac.registry)

    // One process for development: the web app runs a worker too. With CELERIAC_IN_PROCESS_WORKER=false the
    // web app only sends tasks, and `swift run App celeriac worker` processes run them.
    if Environment.get("CELERIAC_IN_PROCESS_WORKER") != "false" {
        app.celeriac.inProcessWorker = CeleriacWorkerOptions(concurrency: 2)
    }

    try routes(app)
}
