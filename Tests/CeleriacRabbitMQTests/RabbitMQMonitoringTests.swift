import Celeriac
import CeleriacRabbitMQ
import CeleriacTesting
import Foundation
import ServiceLifecycle
import Synchronization
import Testing

/// Events and remote control over AMQP, across the two languages: Celery's `inspect ping` and `EventReceiver`
/// against a Swift worker on RabbitMQ, and Celeriac's inspect against a Python worker on RabbitMQ.
@Suite("RabbitMQ events and remote control", .timeLimit(.minutes(5)))
struct RabbitMQMonitoringTests {
    /// The environment of a Python child: this process's, plus the broker URL and the test's Python modules.
    static func pythonEnvironment(_ server: RabbitMQServerProcess) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONPATH"] = RabbitMQTestSupport.pythonDirectory
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        environment["PYTHONUNBUFFERED"] = "1"
        environment["CELERIAC_RMQ_BROKER"] = server.url
        return environment
    }

    /// Runs an in-process Swift worker (task events on) consuming `queue` on RabbitMQ while `body` runs.
    static func withSwiftWorker(
        _ server: RabbitMQServerProcess, queue: String, hostname: String, _ body: (CeleriacApp) async throws -> Void
    ) async throws {
        let broker = try RabbitMQBroker(url: server.url)
        var configuration = CeleriacConfiguration()
        configuration.taskDefaultQueue = queue
        configuration.brokerURL = server.url  // what `stats` reports as the broker's transport
        let app = CeleriacApp(configuration: configuration, broker: broker, backend: nil, logger: RabbitMQTestSupport.quiet)
        app.registry.register(name: "tests.add") { args, _, _ in
            .int((args.first?.intValue ?? 0) + (args.dropFirst().first?.intValue ?? 0))
        }
        var options = Worker.Configuration(
            concurrency: 2, prefetchMultiplier: 2, queues: [queue], hostname: hostname, shutdownGracePeriod: .seconds(5),
            revocationRefreshInterval: .milliseconds(200), receiveTimeout: .milliseconds(500))
        options.taskEvents = true
        let worker = Worker(app: app, configuration: options, logger: RabbitMQTestSupport.quiet)
        let group = ServiceGroup(services: [worker], logger: RabbitMQTestSupport.quiet)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let outcome: Result<Void, any Error>
            do {
                try await body(app)
                outcome = .success(())
            } catch {
                outcome = .failure(error)
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            try outcome.get()
        }
        await broker.close()
    }

    @Test func celerysInspectPingAndStatsReachASwiftWorkerOnAMQP() async throws {
        guard let server = try await RabbitMQTestSupport.server(), let python = try RabbitMQTestSupport.requirePython() else { return }
        let queue = RabbitMQTestSupport.uniqueQueue("mon")
        let node = "swift-\(queue)@rmq"
        try await Self.withSwiftWorker(server, queue: queue, hostname: node) { _ in
            // `celery inspect ping`, Celery's own CLI: request on celery.pidbox, reply on reply.celery.pidbox.
            var ping: Subprocess.Result?
            let answered = try await eventually(timeout: .seconds(60), interval: .milliseconds(500)) {
                let result = try await Subprocess.run(
                    python, ["-m", "celery", "-A", "rmq_tasks", "inspect", "ping", "-d", node, "--timeout", "3"],
                    environment: Self.pythonEnvironment(server), directory: RabbitMQTestSupport.pythonDirectory, timeout: .seconds(60))
                ping = result
                return result.succeeded
            }
            let output = ping?.standardOutput ?? ""
            #expect(answered && output.contains("\(node): OK") && output.contains("pong"), "\(String(describing: ping))")
            let stats = try await Subprocess.run(
                python, ["-m", "celery", "-A", "rmq_tasks", "inspect", "stats", "-d", node, "--timeout", "3", "--json"],
                environment: Self.pythonEnvironment(server), directory: RabbitMQTestSupport.pythonDirectory, timeout: .seconds(60))
            #expect(stats.succeeded && stats.standardOutput.contains("\"max-concurrency\": 2") && stats.standardOutput.contains("\"transport\": \"amqp\""), "\(stats)")
        }
    }

    @Test func celerysEventReceiverSeesASwiftWorkersEventsOnAMQP() async throws {
        guard let server = try await RabbitMQTestSupport.server(), let python = try RabbitMQTestSupport.requirePython() else { return }
        let queue = RabbitMQTestSupport.uniqueQueue("ev")
        let node = "swift-\(queue)@rmq"
        let script = (RabbitMQTestSupport.pythonDirectory as NSString).appendingPathComponent("rmq_monitor.py")
        try await Self.withSwiftWorker(server, queue: queue, hostname: node) { app in
            // The receiver stops once it has a task-succeeded and a heartbeat from our node; tasks go out until then,
            // so its start-up time does not matter.
            let environment = Self.pythonEnvironment(server)
            let receiver = Task {
                try await Subprocess.run(
                    python, [script, "events", "--hostname", node, "--seconds", "60"], environment: environment,
                    directory: RabbitMQTestSupport.pythonDirectory, timeout: .seconds(90))
            }
            var sent: [String] = []
            let finished = Mutex(false)
            let watcher = Task {
                _ = try? await receiver.value
                finished.withLock { $0 = true }
            }
            while !finished.withLock({ $0 }) && sent.count < 60 {
                sent.append(try await app.send(name: "tests.add", args: [2, 3]).id)
                try await Task.sleep(for: .seconds(1))
            }
            await watcher.value
            let output = try await receiver.value
            guard let line = output.standardOutput.split(separator: "\n").last,
                case .array(let events) = try JSONValue.parse(String(line))
            else {
                Issue.record("no events from the receiver: \(output)")
                return
            }
            let mine = events.compactMap(\.objectValue).filter { $0["hostname"]?.stringValue == node }
            let types = Set(mine.compactMap { $0["type"]?.stringValue })
            // worker-online may come before the receiver listens; heartbeats come every 2 s.
            #expect(types.isSuperset(of: ["worker-heartbeat", "task-received", "task-started", "task-succeeded"]), "\(types)")
            let heartbeat = mine.first { $0["type"]?.stringValue == "worker-heartbeat" }
            #expect(heartbeat?["sw_ident"] == .string("celeriac") && heartbeat?["freq"]?.doubleValue == 2, "\(String(describing: heartbeat))")
            let succeeded = mine.first { $0["type"]?.stringValue == "task-succeeded" }
            #expect(succeeded?["result"] == .string("5") && sent.contains(succeeded?["uuid"]?.stringValue ?? ""), "\(String(describing: succeeded))")
        }
    }

    @Test func celeriacInspectsAndWatchesAPythonWorkerOnAMQP() async throws {
        guard let server = try await RabbitMQTestSupport.server(), let python = try RabbitMQTestSupport.requirePython() else { return }
        let queue = RabbitMQTestSupport.uniqueQueue("pyw")
        let node = "py-\(queue)@rmq"
        let broker = try RabbitMQBroker(url: server.url)
        let control = ControlClient(transport: broker)
        // Our event stream first, so the Python worker's events are all seen.
        let events = try await broker.eventEnvelopes()
        let worker = Task {
            try await Subprocess.run(
                python,
                ["-m", "celery", "-A", "rmq_tasks", "worker", "-P", "solo", "-Q", queue, "-E", "--without-mingle", "-n", node, "-l", "info"],
                environment: Self.pythonEnvironment(server), directory: RabbitMQTestSupport.pythonDirectory, timeout: .seconds(150))
        }
        var replies: [ControlClient.Reply] = []
        let online = try await eventually(timeout: .seconds(60), interval: .milliseconds(200)) {
            replies = try await control.call("ping", destination: [node], timeout: .seconds(1))
            return !replies.isEmpty
        }
        #expect(online && replies.first?.hostname == node && replies.first?.value == .object(["ok": "pong"]), "\(replies)")
        let stats = try await control.call("stats", destination: [node], timeout: .seconds(3))
        #expect(stats.first?.value.objectValue?["pool"]?.objectValue?["implementation"] == .string("celery.concurrency.solo:TaskPool"), "\(stats)")

        // `celeriac inspect ping`, the CLI, when the example binary is built.
        let example = URL(fileURLWithPath: RabbitMQTestSupport.pythonDirectory).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/celeriac-example").path
        if FileManager.default.isExecutableFile(atPath: example) {
            let cli = try await Subprocess.run(
                example, ["inspect", "ping", "-d", node, "-t", "3", "-b", server.url], directory: FileManager.default.temporaryDirectory.path, timeout: .seconds(60))
            #expect(cli.succeeded && cli.standardOutput.contains("\(node): OK") && cli.standardOutput.contains("pong"), "\(cli)")
        }

        // The Python worker's task events reach our receiver.
        let app = CeleriacApp(broker: broker, backend: nil, logger: RabbitMQTestSupport.quiet)
        var options = CallOptions()
        options.queue = queue
        let id = try await app.send(name: "tests.add", args: [20, 22], options: options).id
        let seen = Task {
            for try await envelope in events {
                for event in (try? EventEnvelope.decode(envelope)) ?? [] where event.fields["uuid"]?.stringValue == id && event.fields["type"]?.stringValue == "task-succeeded" {
                    return event.fields["hostname"]?.stringValue
                }
            }
            return nil as String?
        }
        let timeout = Task {
            try? await Task.sleep(for: .seconds(30))
            seen.cancel()
        }
        let hostname = try await seen.value
        timeout.cancel()
        #expect(hostname == node, "the Python worker's task-succeeded event for \(id)")

        // `shutdown` ends the Python worker (a cast, no reply), as `celery control shutdown` does.
        _ = try await control.call("shutdown", destination: [node], reply: false)
        let ended = try await worker.value
        #expect(ended.status == 0, "\(ended)")
        await broker.close()
    }
}
