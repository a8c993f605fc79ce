import Celeriac
import CeleriacRESP
import Logging
import NIOCore

/// Celery's Redis result backend: each task's state under `celery-task-meta-<id>`, written with `SETEX` and
/// `PUBLISH`ed on the channel of the same name, so Python clients and workers read Celeriac's results and the
/// other way round.
///
/// ``waitForReady(taskID:timeout:)`` subscribes to the task's channel first, then reads the key, then waits
/// for a published state: no polling. All waits share one pub/sub connection.
///
/// ```swift
/// let backend = try RedisResultBackend(url: "redis://localhost:6379/0")
/// let meta = try await backend.waitForReady(taskID: id, timeout: .seconds(10))
/// await backend.close()
/// ```
public final class RedisResultBackend: ResultBackend, Sendable {
    /// The Redis client; closed by ``close()``.
    public let client: RESPClient
    /// The settings the backend was created with.
    public let configuration: Configuration
    let prefix: String
    let subscriptions: RedisResultSubscriptions

    /// Creates a backend on an existing client; the backend owns it from now on.
    /// - Parameters:
    ///   - client: the Redis client.
    ///   - configuration: result expiry, key prefix and logger.
    public init(client: RESPClient, configuration: Configuration = Configuration()) {
        self.client = client
        self.configuration = configuration
        self.prefix = configuration.effectivePrefix
        self.subscriptions = RedisResultSubscriptions(client: client, logger: configuration.logger)
    }

    /// Creates a backend for a `redis://`, `rediss://` or `sentinel://` URL; nothing connects until first use.
    /// - Parameters:
    ///   - url: the `result_backend` URL.
    ///   - configuration: result expiry, key prefix and logger.
    ///   - sentinelMasterName: the master's name for `sentinel://` URLs without a `master_name` option.
    /// - Throws: ``RESPError`` with code ``RESPError/Code/invalidConfiguration`` for a malformed URL.
    public convenience init(url: String, configuration: Configuration = Configuration(), sentinelMasterName: String? = nil) throws {
        let clientConfiguration = try RESPClient.Configuration(url: url, sentinelMasterName: sentinelMasterName)
        self.init(client: RESPClient(configuration: clientConfiguration, logger: configuration.logger), configuration: configuration)
    }

    /// The key (and pub/sub channel) of a task's result: `celery-task-meta-<id>`.
    public func key(for taskID: String) -> String { prefix + "celery-task-meta-" + taskID }

    /// Stores a task's state as Celery does: `GET` first, and unless a SUCCESS is stored,
    /// `MULTI; SETEX key <result_expires> <json>; PUBLISH key <json>; EXEC` (`SET` without expiry).
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/backendFailure``) when Redis fails.
    public func store(_ meta: ResultMeta) async throws {
        let key = key(for: meta.taskID)
        if let existing = try await read(key), existing.status == .success { return }
        let json = ByteBuffer(bytes: JSONValue.object(meta.json()).serializedBytes(.python))
        let write: RESPCommand
        if let expires = configuration.resultExpires, expires > .zero {
            write = RESPCommand("SETEX", .string(key), .integer(max(1, Int(expires.secondsValue.rounded()))), .bytes(json))
        } else {
            write = RESPCommand("SET", .string(key), .bytes(json))
        }
        let replies = try await pipeline([RESPCommand("MULTI"), write, RESPCommand("PUBLISH", .string(key), .bytes(json)), RESPCommand("EXEC")])
        if let failure = replies.compactMap(\.errorMessage).first ?? replies.last?.elements?.compactMap(\.errorMessage).first {
            throw CeleriacError(.backendFailure, "Redis refused storing a result: \(failure)", taskID: meta.taskID)
        }
    }

    /// Reads a task's stored state (`GET`), or `nil` when none is stored (PENDING).
    /// - Throws: ``CeleriacError`` when Redis fails or the stored JSON is not result metadata.
    public func meta(for taskID: String) async throws -> ResultMeta? {
        try await read(key(for: taskID))
    }

    /// Waits for a ready state without polling: `SUBSCRIBE` to the key's channel, `GET`, then wait for a
    /// published state until `timeout`, then `UNSUBSCRIBE` (Celery's `ResultConsumer`).
    /// - Returns: the ready meta, or the last stored one (or `nil`) when the timeout passed.
    /// - Throws: ``CeleriacError`` when Redis fails.
    public func waitForReady(taskID: String, timeout: Duration?) async throws -> ResultMeta? {
        let key = key(for: taskID)
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now + $0 }
        // A waiting client rides out a Redis restart: connection failures are retried with backoff until
        // the timeout (or, without one, for up to `reconnectPatience`), then reported.
        var failingSince: ContinuousClock.Instant?
        var backoff = Duration.milliseconds(100)
        while true {
            let registration: (id: UInt64, messages: AsyncStream<ByteBuffer>)
            let outcome: WaitOutcome
            do {
                do {
                    registration = try await subscriptions.register(key)
                } catch {
                    throw Self.failure("subscribing to a result", error)
                }
                do {
                    if let current = try await read(key), current.status.isReady {
                        await subscriptions.unregister(key, id: registration.id)
                        return current
                    }
                    outcome = await Self.waitForMessage(registration.messages, deadline: deadline)
                } catch {
                    await subscriptions.unregister(key, id: registration.id)
                    throw error
                }
                failingSince = nil
                backoff = .milliseconds(100)
            } catch {
                try Task.checkCancellation()
                let now = clock.now
                let since = failingSince ?? now
                failingSince = since
                let givingUp = deadline.map { now >= $0 } ?? (now - since >= Self.reconnectPatience)
                if givingUp { throw error }
                var pause = backoff
                if let deadline { pause = min(pause, deadline - now) }
                try await Task.sleep(for: pause)
                backoff = min(backoff * 2, .seconds(2))
                continue
            }
            await subscriptions.unregister(key, id: registration.id)
            switch outcome {
            case .ready(let meta):
                return meta
            case .timedOut:
                return try await read(key)
            case .ended:
                // The connection broke or the backend closed: look again, then subscribe anew.
                try Task.checkCancellation()
                if let deadline, clock.now >= deadline { return try await read(key) }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// How long a wait without a timeout keeps retrying a Redis it cannot reach before it reports the error.
    static let reconnectPatience: Duration = .seconds(30)

    private enum WaitOutcome: Sendable {
        case ready(ResultMeta)
        case timedOut
        case ended
    }

    private static func waitForMessage(_ messages: AsyncStream<ByteBuffer>, deadline: ContinuousClock.Instant?) async -> WaitOutcome {
        await withTaskGroup(of: WaitOutcome.self) { group in
            group.addTask {
                for await payload in messages {
                    if let object = try? JSONValue.parse(payload.readableBytesView).objectValue,
                        let meta = try? ResultMeta(json: object), meta.status.isReady
                    {
                        return .ready(meta)
                    }
                }
                return Task.isCancelled ? .timedOut : .ended
            }
            if let deadline {
                group.addTask {
                    try? await Task.sleep(until: deadline, clock: .continuous)
                    return .timedOut
                }
            }
            let first = await group.next() ?? .timedOut
            group.cancelAll()
            return first
        }
    }

    /// Deletes a task's result (`DEL`).
    /// - Throws: ``CeleriacError`` when Redis fails.
    public func forget(taskID: String) async throws {
        _ = try await pipeline([RESPCommand("DEL", .string(key(for: taskID)))])
    }

    /// Redis expires results itself; there is nothing to delete.
    /// - Returns: 0.
    public func deleteExpired() async throws -> Int { 0 }

    /// Closes the pub/sub connection and the client.
    public func close() async {
        await subscriptions.close()
        await client.close()
    }

    private func read(_ key: String) async throws -> ResultMeta? {
        let reply: RESPValue
        do {
            reply = try await client.send(RESPCommand("GET", .string(key)))
        } catch {
            throw Self.failure("reading a result", error)
        }
        guard let buffer = reply.bytes else { return nil }
        guard let object = try? JSONValue.parse(buffer.readableBytesView).objectValue else {
            throw CeleriacError(.malformedResult, "the stored result under \(key) is not a JSON object")
        }
        return try ResultMeta(json: object)
    }

    private func pipeline(_ commands: [RESPCommand]) async throws -> [RESPValue] {
        do {
            return try await client.pipeline(commands)
        } catch {
            throw Self.failure("storing a result", error)
        }
    }

    static func failure(_ what: String, _ error: any Error) -> any Error {
        if error is CeleriacError || error is CancellationError { return error }
        return CeleriacError(.backendFailure, "Redis failed while \(what)", underlying: error)
    }
}
