import Celeriac
import CeleriacAMQP
import CeleriacRabbitMQ
import CeleriacSQLite
import CeleriacTesting
import Foundation
import NIOCore
import Synchronization
import Testing

/// Faults on RabbitMQ with real `celeriac-example worker` processes: a worker killed with SIGKILL while holding
/// unacknowledged messages, the node restarted mid-run, wrong credentials, messages no worker can process.
@Suite("RabbitMQ faults", .serialized, .timeLimit(.minutes(10)))
struct RabbitMQFaultTests {
    /// A worker holding `acks_late` messages is killed with SIGKILL; RabbitMQ redelivers them to a second worker
    /// and every task ends in SUCCESS.
    @Test func killNineOfAWorkerHoldingUnackedMessagesLosesNothing() async throws {
        guard let server = try await RabbitMQTestSupport.server() else { return }
        let sandbox = try FaultSandbox()
        defer { sandbox.remove() }
        let queue = RabbitMQTestSupport.uniqueQueue("kill9")
        let broker = try RabbitMQBroker(url: server.url)
        let backend = try await SQLiteResultBackend(path: sandbox.backendPath)
        let app = CeleriacApp(broker: broker, backend: backend, logger: RabbitMQTestSupport.quiet)
        var ids: [String] = []
        for _ in 0..<24 {
            ids.append(try await app.send(name: "tasks.sleep", args: [0.4], options: CallOptions(queue: queue)).id)
        }
        let acksLate = ["CELERY_TASK_ACKS_LATE": "true"]
        let first = try ExampleWorkerProcess(broker: server.url, backend: sandbox.backendURL, queue: queue, name: "first", concurrency: 2, environment: acksLate, directory: sandbox.directory)
        #expect(await first.waitUntilReady(), "\(first.log.suffix(3000))")
        // Let it finish a few and hold more (prefetch 2 × 4 = 8 unacknowledged).
        let holding = try await eventually(timeout: .seconds(60), interval: .milliseconds(100)) {
            let counts = try await RabbitMQQueueCounts.of(queue, on: server)
            let done = try await FaultSandbox.done(ids, in: backend).final
            return done >= 2 && (counts?.unacked ?? 0) >= 2
        }
        #expect(holding, "the first worker never held messages: \(first.log.suffix(3000))")
        await first.killNine()
        let doneAtKill = try await FaultSandbox.done(ids, in: backend).final
        #expect(doneAtKill < ids.count, "the first worker finished everything before it was killed")
        // RabbitMQ saw the connection drop: nothing is unacknowledged any more, all is ready again.
        let requeued = try await eventually(timeout: .seconds(30), interval: .milliseconds(200)) {
            try await RabbitMQQueueCounts.of(queue, on: server)?.unacked == 0
        }
        #expect(requeued)

        let second = try ExampleWorkerProcess(broker: server.url, backend: sandbox.backendURL, queue: queue, name: "second", concurrency: 4, environment: acksLate, directory: sandbox.directory)
        #expect(await second.waitUntilReady(), "\(second.log.suffix(3000))")
        let allDone = try await eventually(timeout: .seconds(90), interval: .milliseconds(200)) {
            try await FaultSandbox.done(ids, in: backend).succeeded == ids.count
        }
        let finalCounts = try await RabbitMQQueueCounts.of(queue, on: server)
        let doneAtEnd = try await FaultSandbox.done(ids, in: backend)
        await second.stop()
        #expect(allDone, "done \(doneAtEnd) of \(ids.count)\n\(second.log.suffix(3000))")
        #expect(second.log.contains("redelivered") || second.log.contains("Task received"), "\(second.log.suffix(2000))")
        #expect(finalCounts?.ready == 0 && finalCounts?.unacked == 0, "\(String(describing: finalCounts))")
        await broker.close()
        await backend.close()
    }

    /// The node is stopped and started again (same port, same data) while a confirming publisher sends and a
    /// worker runs: every publish that returned (was confirmed) is run, the worker reconnects by itself.
    @Test func aBrokerRestartMidRunLosesNothingConfirmed() async throws {
        guard RabbitMQServerProcess.shouldRun else { return }
        try await withRabbitMQServer { server in
            let sandbox = try FaultSandbox()
            defer { sandbox.remove() }
            let queue = RabbitMQTestSupport.uniqueQueue("restart")
            let broker = try RabbitMQBroker(url: server.url)  // publisher confirms are on by default
            let backend = try await SQLiteResultBackend(path: sandbox.backendPath)
            let app = CeleriacApp(broker: broker, backend: backend, logger: RabbitMQTestSupport.quiet)
            let worker = try ExampleWorkerProcess(broker: server.url, backend: sandbox.backendURL, queue: queue, name: "survivor", concurrency: 4, directory: sandbox.directory)
            #expect(await worker.waitUntilReady(), "\(worker.log.suffix(3000))")

            var confirmed: [String] = []
            var failedSends = 0
            var sentBeforeRestart = 0
            var options = CallOptions(queue: queue)
            options.retry = false
            let oldPID = server.pid
            let restarted = RestartFlag()
            let restart = Task { () async throws -> Void in
                try await Task.sleep(for: .seconds(2))
                defer { restarted.set() }
                try await server.restart()
            }
            let clock = ContinuousClock()
            let started = clock.now
            var restartedAt: ContinuousClock.Instant?
            var slowest = Duration.zero
            // Publish for 2 s before the restart, during it, and 3 s after it.
            while restartedAt.map({ clock.now - $0 < .seconds(3) }) ?? true {
                let sending = clock.now
                do {
                    let result = try await app.send(name: "tasks.add", args: [.int(confirmed.count), 1], options: options)
                    confirmed.append(result.id)
                } catch {
                    failedSends += 1
                    try await Task.sleep(for: .milliseconds(200))
                }
                slowest = max(slowest, clock.now - sending)
                if restartedAt == nil, restarted.isSet {
                    restartedAt = clock.now
                    sentBeforeRestart = confirmed.count
                }
                try await Task.sleep(for: .milliseconds(20))
                if clock.now - started > .seconds(180) { break }
            }
            try await restart.value
            #expect(server.pid != oldPID && server.pid > 0, "the node was not restarted")
            // Publishes straddle the restart: some were confirmed before, some after; those in flight while the node
            // was down either failed (not counted) or waited for the new node.
            #expect(sentBeforeRestart > 10 && confirmed.count - sentBeforeRestart > 10,
                    "confirmed \(sentBeforeRestart) until the node was back and \(confirmed.count - sentBeforeRestart) after the restart; \(failedSends) failed; slowest send \(slowest)")
            let allDone = try await eventually(timeout: .seconds(120), interval: .milliseconds(300)) {
                try await FaultSandbox.done(confirmed, in: backend).succeeded == confirmed.count
            }
            let counts = try await FaultSandbox.done(confirmed, in: backend)
            await worker.stop()
            #expect(allDone, "\(counts.succeeded) of \(confirmed.count) confirmed tasks done\n\(worker.log.suffix(4000))")
            #expect(worker.log.lowercased().contains("rabbitmq"), "the worker logged nothing about the lost broker")
            await broker.close()
            await backend.close()
        }
    }

    /// A wrong password and a missing vhost are refused at start-up with RabbitMQ's reason, from the library and
    /// from the worker command (which exits instead of retrying forever).
    @Test func wrongCredentialsAndVhostAreClearErrors() async throws {
        guard let server = try await RabbitMQTestSupport.server() else { return }
        let badPassword = "amqp://guest:wrong@127.0.0.1:\(server.port)//"
        let badVhost = "amqp://guest:guest@127.0.0.1:\(server.port)/no-such-vhost"
        let passwordError = await #expect(throws: CeleriacError.self) { try await RabbitMQBroker(url: badPassword).checkConnection() }
        let passwordText = "\(String(describing: passwordError))"
        #expect(passwordText.contains("ACCESS_REFUSED") || passwordText.lowercased().contains("password"), "\(passwordText)")
        let vhostError = await #expect(throws: CeleriacError.self) { try await RabbitMQBroker(url: badVhost).checkConnection() }
        let vhostText = "\(String(describing: vhostError))"
        #expect(vhostText.contains("no-such-vhost") || vhostText.contains("NOT_ALLOWED"), "\(vhostText)")
        #expect(vhostText.lowercased().contains("virtual host") || vhostText.lowercased().contains("vhost"), "\(vhostText)")

        let sandbox = try FaultSandbox()
        defer { sandbox.remove() }
        for (url, expected) in [(badPassword, "ACCESS_REFUSED"), (badVhost, "no-such-vhost")] {
            let worker = try ExampleWorkerProcess(broker: url, backend: sandbox.backendURL, queue: "celery", name: "refused", directory: sandbox.directory)
            let exited = await eventually(timeout: .seconds(30)) { !worker.isRunning }
            if !exited { await worker.stop() }
            #expect(exited, "the worker kept running with \(url)")
            #expect(worker.process.terminationStatus != 0)
            #expect(worker.log.contains(expected), "\(url): \(worker.log.suffix(2000))")
        }
    }

    /// A body that is not JSON and a task no worker knows are moved to `celeriac.dead-letters` with their reasons,
    /// the worker runs on (a good task after them succeeds), and `dead-letters` requeues and deletes them.
    @Test func badBodyAndUnknownTaskAreDeadLetteredAndTheWorkerRunsOn() async throws {
        guard let server = try await RabbitMQTestSupport.server() else { return }
        let sandbox = try FaultSandbox()
        defer { sandbox.remove() }
        let queue = RabbitMQTestSupport.uniqueQueue("dead")
        let broker = try RabbitMQBroker(url: server.url)
        let backend = try await SQLiteResultBackend(path: sandbox.backendPath)
        let app = CeleriacApp(broker: broker, backend: backend, logger: RabbitMQTestSupport.quiet)
        // Clear dead letters of earlier tests on the shared node.
        for letter in try await broker.deadLetters(limit: 10_000) { _ = try await broker.deleteDeadLetter(id: letter.id) }

        // A task message whose body is not JSON, published as a Python client would (raw AMQP).
        let badID = UUID().uuidString.lowercased()
        let connection = try await AMQPConnection.open(configuration: try AMQPConfiguration(url: server.url), logger: RabbitMQTestSupport.quiet)
        let channel = try await connection.openChannel()
        try await channel.declareQueue(queue, durable: true)
        var properties = AMQPProperties()
        properties.contentType = "application/json"
        properties.contentEncoding = "utf-8"
        properties.deliveryMode = 2
        properties.headers = ["lang": "py", "task": "tasks.add", "id": .string(badID), "root_id": .string(badID), "retries": 0, "argsrepr": "(1, 2)"]
        try await channel.publish(ByteBuffer(string: "[[1, 2], {}, {not json"), routingKey: queue, properties: properties)
        await connection.close()
        let unknown = try await app.send(name: "tasks.no_such_task", args: [1], options: CallOptions(queue: queue))
        let good = try await app.send(name: "tasks.add", args: [20, 22], options: CallOptions(queue: queue))

        let worker = try ExampleWorkerProcess(broker: server.url, backend: sandbox.backendURL, queue: queue, name: "dead", directory: sandbox.directory)
        #expect(await worker.waitUntilReady(), "\(worker.log.suffix(3000))")
        #expect(try await good.get(timeout: .seconds(30)) == .int(42))
        let letters = try await broker.deadLetters(limit: 100).filter { $0.queue == queue }
        let lettered = try await eventually(timeout: .seconds(20)) {
            try await broker.deadLetters(limit: 100).filter { $0.queue == queue }.count == 2
        }
        #expect(lettered, "dead letters: \(letters)\n\(worker.log.suffix(3000))")
        let all = try await broker.deadLetters(limit: 100).filter { $0.queue == queue }
        let bad = try #require(all.first { $0.taskID == badID }, "\(all)")
        let notRegistered = try #require(all.first { $0.taskID == unknown.id }, "\(all)")
        #expect(notRegistered.taskName == "tasks.no_such_task")
        #expect(notRegistered.reason.contains("NotRegistered"), "\(notRegistered.reason)")
        #expect(!bad.reason.isEmpty)
        // The dead letter's envelope is the message as received: the non-JSON body is kept byte for byte.
        let badEnvelope = try #require(try JSONValue.parse(bad.envelope).objectValue)
        let body = try Base64.decode(try #require(badEnvelope["body"]?.stringValue))
        #expect(body == Array("[[1, 2], {}, {not json".utf8))
        #expect(try await broker.deadLetter(id: notRegistered.id)?.taskID == unknown.id)
        // The worker stored Celery's FAILURE for the unknown task and is still running.
        #expect(try await backend.meta(for: unknown.id)?.status == .failure)
        #expect(worker.isRunning)
        // The queue is empty, nothing unacknowledged.
        let counts = try await RabbitMQQueueCounts.of(queue, on: server)
        #expect(counts?.ready == 0 && counts?.unacked == 0, "\(String(describing: counts))")

        // `celeriac-example dead-letters list` shows them; delete one, requeue the other to a queue nobody consumes.
        let listed = try await Subprocess.run(try ExampleWorkerProcess.binary(), ["dead-letters", "list", "-b", server.url], timeout: .seconds(60))
        #expect(listed.standardOutput.contains(unknown.id) && listed.standardOutput.contains(badID), "\(listed)")
        #expect(try await broker.deleteDeadLetter(id: bad.id))
        #expect(try await !broker.deleteDeadLetter(id: bad.id))
        let parking = RabbitMQTestSupport.uniqueQueue("parking")
        #expect(try await broker.requeueDeadLetter(id: notRegistered.id, queue: parking))
        #expect(try await broker.deadLetters(limit: 100).filter { $0.queue == queue }.isEmpty)
        let requeued = try #require(try await broker.receive(from: [parking], limit: 1, timeout: .seconds(10)).first)
        #expect(try TaskMessage(envelope: requeued.envelope).headers.id == unknown.id)
        try await broker.ack([requeued.tag])
        await worker.stop()
        await broker.close()
        await backend.close()
    }

    /// Revocations go to the `celeriac.revoked` stream: read from any sequence by every worker, and a worker
    /// discards a revoked task.
    @Test func revocationsAreSharedThroughTheStreamAndHonouredByAWorker() async throws {
        guard let server = try await RabbitMQTestSupport.server() else { return }
        let sandbox = try FaultSandbox()
        defer { sandbox.remove() }
        let broker = try RabbitMQBroker(url: server.url)
        let reader = try RabbitMQBroker(url: server.url)
        let start = try await reader.revokedTaskIDs(after: 0).next
        let a = UUID().uuidString, b = UUID().uuidString, c = UUID().uuidString
        try await broker.revoke([a, b])
        let firstRead = try await reader.revokedTaskIDs(after: start)
        #expect(firstRead.ids == [a, b])
        #expect(firstRead.next == start + 2)
        try await broker.revoke([c])
        let secondRead = try await reader.revokedTaskIDs(after: firstRead.next)
        #expect(secondRead.ids == [c])
        #expect(try await reader.revokedTaskIDs(after: secondRead.next).ids.isEmpty)
        #expect(try await reader.revokedTaskIDs(after: 0).ids.suffix(3) == [a, b, c])

        // A worker discards a task revoked before it arrives.
        let queue = RabbitMQTestSupport.uniqueQueue("revoke")
        let backend = try await SQLiteResultBackend(path: sandbox.backendPath)
        let app = CeleriacApp(broker: broker, backend: backend, logger: RabbitMQTestSupport.quiet)
        let worker = try ExampleWorkerProcess(broker: server.url, backend: sandbox.backendURL, queue: queue, name: "revoker", directory: sandbox.directory)
        #expect(await worker.waitUntilReady(), "\(worker.log.suffix(3000))")
        let revokedID = UUID().uuidString.lowercased()
        try await app.revoke(taskID: revokedID)
        try await Task.sleep(for: .seconds(2))  // the worker reads revocations every second
        var options = CallOptions(queue: queue)
        options.taskID = revokedID
        _ = try await app.send(name: "tasks.add", args: [1, 1], options: options)
        let after = try await app.send(name: "tasks.add", args: [2, 2], options: CallOptions(queue: queue))
        #expect(try await after.get(timeout: .seconds(30)) == .int(4))
        // revoke stores nothing itself: REVOKED comes from the worker that discarded the message.
        let discarded = await #expect(throws: TaskFailedError.self) { try await app.asyncResult(id: revokedID).get(timeout: .seconds(30)) }
        #expect(discarded?.state == .revoked)
        await worker.stop()
        #expect(!worker.log.contains("celery.task.id=\(revokedID) [Celeriac] Task succeeded"))
        await broker.close()
        await reader.close()
        await backend.close()
    }
}

/// Set once the node restart has finished (successfully or not).
private final class RestartFlag: Sendable {
    private let done = Mutex(false)
    func set() { done.withLock { $0 = true } }
    var isSet: Bool { done.withLock { $0 } }
}
