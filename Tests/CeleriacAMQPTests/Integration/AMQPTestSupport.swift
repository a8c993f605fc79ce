import CeleriacAMQP
import CeleriacTesting
import Logging
import NIOCore
import Testing

/// Helpers for tests against a real RabbitMQ node.
enum AMQPTestSupport {
    static let logger = Logger(label: "celeriac.amqp.tests", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A name no other test uses.
    static func unique(_ prefix: String) -> String {
        "\(prefix).\(UInt32.random(in: 0...UInt32.max))"
    }

    /// The shared node, or `nil` (with a note) when RabbitMQ isn't installed and this is not CI.
    static func sharedServer() async throws -> RabbitMQServerProcess? {
        guard RabbitMQServerProcess.binDirectory != nil || RabbitMQServerProcess.isCI else {
            print("note: rabbitmq-server is not installed; skipping a RabbitMQ integration test")
            return nil
        }
        return try await RabbitMQServerProcess.shared()
    }

    /// Runs `body` with an open connection to the shared node, closed afterwards.
    static func withConnection(
        configure: (inout AMQPConfiguration) -> Void = { _ in },
        _ body: (AMQPConnection, RabbitMQServerProcess) async throws -> Void
    ) async throws {
        guard let server = try await sharedServer() else { return }
        var configuration = try AMQPConfiguration(url: server.url)
        configure(&configuration)
        let connection = try await AMQPConnection.open(configuration: configuration, logger: logger)
        do {
            try await body(connection, server)
            await connection.close()
        } catch {
            await connection.close()
            throw error
        }
    }
}

/// Collects a consumer's deliveries in the background so that tests can wait for counts with deadlines (cancelling
/// a pending `next()` would end the consumer's stream).
actor DeliveryInbox {
    private(set) var deliveries: [AMQPDelivery] = []
    private(set) var failure: (any Error)?
    private(set) var isFinished = false
    private var task: Task<Void, Never>?

    static func collecting(_ consumer: some AsyncSequence<AMQPDelivery, any Error> & Sendable) async -> DeliveryInbox {
        let inbox = DeliveryInbox()
        await inbox.start(consumer)
        return inbox
    }

    private func start(_ consumer: some AsyncSequence<AMQPDelivery, any Error> & Sendable) {
        self.task = Task {
            do {
                for try await delivery in consumer { self.append(delivery) }
                self.finish(nil)
            } catch {
                self.finish(error)
            }
        }
    }

    private func append(_ delivery: AMQPDelivery) { self.deliveries.append(delivery) }

    private func finish(_ error: (any Error)?) {
        self.failure = error
        self.isFinished = true
    }

    /// Waits until at least `count` deliveries arrived; returns whether they did within `timeout`.
    func wait(forCount count: Int, timeout: Duration = .seconds(20)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while self.deliveries.count < count, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return self.deliveries.count >= count
    }

    /// Waits until the consumer's sequence ended; returns whether it did within `timeout`.
    func waitForEnd(timeout: Duration = .seconds(20)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !self.isFinished, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return self.isFinished
    }
}
