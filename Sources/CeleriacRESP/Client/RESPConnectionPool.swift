import Logging
import NIOCore

/// The connections of a ``RESPClient``: a few shared command connections, idle dedicated ones, and every
/// connection handed out, so that closing the client closes them all.
///
/// Command connections are shared: commands from many tasks are pipelined on them, picked round-robin, and a slot
/// connects lazily the first time it is picked (or again after its connection died). Dedicated connections are
/// leased to one task at a time and kept idle afterwards, up to the pool size. Failed connection attempts back
/// off exponentially, for every slot at once, so a dead server isn't hammered.
actor RESPConnectionPool {
    private enum Slot {
        case empty
        case connecting(UInt64, Task<RESPConnection, any Error>)
        case ready(RESPConnection)
    }

    private let factory: RESPConnectionFactory
    private let backoff: RESPClient.Configuration.Backoff
    private var slots: [Slot]
    private var nextSlot = 0
    private var nextAttemptID: UInt64 = 0
    private var idle: [RESPConnection] = []
    private var leased: [ObjectIdentifier: RESPConnection] = [:]
    private var consecutiveFailures = 0
    private var retryAfter: ContinuousClock.Instant?
    /// The error of the last failed connection attempt, rethrown by commands that will not wait out the backoff.
    private var lastFailure: (any Error)?
    private var isClosed = false

    init(factory: RESPConnectionFactory) {
        self.factory = factory
        self.backoff = factory.configuration.reconnect
        self.slots = Array(repeating: .empty, count: max(1, factory.configuration.poolSize))
    }

    /// A live shared command connection, connecting the picked slot if needed.
    /// - Throws: The last connection error once ``RESPClient/Configuration/Backoff/attemptsPerCommand`` attempts
    ///   failed, or ``RESPError/Code/clientClosed``.
    func commandConnection() async throws -> RESPConnection {
        var attempt = 1
        while true {
            do {
                return try await self.pickCommandConnection()
            } catch let error as RESPError where Self.isRetryable(error) && attempt < self.backoff.attemptsPerCommand {
                attempt += 1
            }
        }
    }

    private func pickCommandConnection() async throws -> RESPConnection {
        guard !self.isClosed else { throw Self.closedError }
        let index = self.nextSlot
        self.nextSlot = (self.nextSlot + 1) % self.slots.count
        switch self.slots[index] {
        case .ready(let connection) where connection.isActive:
            return connection
        case .connecting(_, let task):
            return try await task.value
        case .ready, .empty:
            self.nextAttemptID += 1
            let attemptID = self.nextAttemptID
            // An unstructured task on purpose: every caller that picks this slot meanwhile awaits the same attempt,
            // and no single caller's cancellation should abort it. `close()` cancels it.
            let task = Task { try await self.establish() }
            self.slots[index] = .connecting(attemptID, task)
            do {
                let connection = try await task.value
                guard case .connecting(attemptID, _) = self.slots[index], !self.isClosed else {
                    connection.closeSoon()
                    throw Self.closedError
                }
                self.slots[index] = .ready(connection)
                return connection
            } catch {
                if case .connecting(attemptID, _) = self.slots[index] { self.slots[index] = .empty }
                throw error
            }
        }
    }

    /// Leases a dedicated connection: an idle one if alive, otherwise a new one.
    func leaseDedicated() async throws -> RESPConnection {
        while let connection = self.idle.popLast() {
            if connection.isActive {
                self.leased[ObjectIdentifier(connection)] = connection
                return connection
            }
        }
        let connection = try await self.connectWithRetries { try await self.establish() }
        self.leased[ObjectIdentifier(connection)] = connection
        return connection
    }

    /// Takes a dedicated connection back: kept idle if it is alive, nothing is pending and there is room.
    func releaseDedicated(_ connection: RESPConnection, reusable: Bool) {
        self.leased[ObjectIdentifier(connection)] = nil
        if reusable, !self.isClosed, connection.isActive, self.idle.count < self.slots.count {
            self.idle.append(connection)
        } else {
            connection.closeSoon()
        }
    }

    /// Opens a subscriber connection and the stream of its messages, tracked until ``forget(_:)``.
    ///
    /// Each attempt gets a fresh stream: a failed attempt finishes the stream it was given.
    func makeSubscriberConnection() async throws -> (RESPConnection, AsyncThrowingStream<RESPPubSubMessage, any Error>) {
        var messages: AsyncThrowingStream<RESPPubSubMessage, any Error>?
        let connection = try await self.connectWithRetries {
            let (stream, continuation) = AsyncThrowingStream<RESPPubSubMessage, any Error>.makeStream()
            messages = stream
            return try await self.establish(isSubscriber: true, messages: continuation)
        }
        guard let messages else {
            connection.closeSoon()
            throw RESPError(.connectionFailed, message: "the subscriber connection has no message stream")
        }
        self.leased[ObjectIdentifier(connection)] = connection
        return (connection, messages)
    }

    /// Stops tracking a connection its owner closed.
    func forget(_ connection: RESPConnection) {
        self.leased[ObjectIdentifier(connection)] = nil
    }

    /// Closes every connection, pending connection attempts included; later requests fail with
    /// ``RESPError/Code/clientClosed``.
    func close() async {
        guard !self.isClosed else { return }
        self.isClosed = true
        var connections = self.idle + Array(self.leased.values)
        for slot in self.slots {
            switch slot {
            case .ready(let connection): connections.append(connection)
            case .connecting(_, let task): task.cancel()
            case .empty: break
            }
        }
        self.slots = self.slots.map { _ in .empty }
        self.idle = []
        self.leased = [:]
        for connection in connections { await connection.close() }
    }

    private func connectWithRetries(_ connect: () async throws -> RESPConnection) async throws -> RESPConnection {
        var attempt = 1
        while true {
            guard !self.isClosed else { throw Self.closedError }
            do {
                let connection = try await connect()
                guard !self.isClosed else {
                    connection.closeSoon()
                    throw Self.closedError
                }
                return connection
            } catch let error as RESPError where Self.isRetryable(error) && attempt < self.backoff.attemptsPerCommand {
                attempt += 1
            }
        }
    }

    /// One connection attempt, after waiting out the backoff of earlier failures.
    private func establish(
        isSubscriber: Bool = false,
        messages: AsyncThrowingStream<RESPPubSubMessage, any Error>.Continuation? = nil
    ) async throws -> RESPConnection {
        if let retryAfter, retryAfter > .now {
            if let lastFailure, retryAfter - .now > self.backoff.maximumCommandWait { throw lastFailure }
            try await Task.sleep(until: retryAfter, clock: .continuous)
        }
        guard !self.isClosed else { throw Self.closedError }
        do {
            let connection = try await self.factory.makeConnection(isSubscriber: isSubscriber, messages: messages)
            self.consecutiveFailures = 0
            self.retryAfter = nil
            self.lastFailure = nil
            return connection
        } catch {
            self.consecutiveFailures += 1
            let delay = self.backoff.delay(afterFailures: self.consecutiveFailures)
            self.retryAfter = .now + delay
            self.lastFailure = error
            self.factory.logger.debug(
                "connection attempt failed",
                metadata: [RESPLogging.error: "\(error)", RESPLogging.retryDelay: "\(delay)"]
            )
            throw error
        }
    }

    private static func isRetryable(_ error: RESPError) -> Bool {
        [.connectionFailed, .connectTimeout, .sentinelFailure, .connectionClosed].contains(error.code)
    }

    private static let closedError = RESPError(.clientClosed, message: "the client is closed")
}
