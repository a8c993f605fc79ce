import Celeriac
import CeleriacRESP
import Logging
import NIOCore
import Synchronization

/// A broker on Redis in kombu's layout, so Celeriac and Python Celery 5.7 workers and clients share queues.
///
/// - Messages are kombu envelopes in a list per queue and priority step (`celery`, `celery\x06\x163`, ...):
///   published with `LPUSH`, taken from the right, priority step 0 first.
/// - A received message is recorded in kombu's `unacked` hash and `unacked_index` sorted set until it is
///   acked; one whose lease ran out (its worker died) is restored to the front of its queue by
///   ``restoreExpiredLeases()``, kombu's `restore_visible`. Live workers refresh their leases with
///   ``extendLeases(_:)``, so their messages are never restored.
/// - Dead letters and revocations, which Celery does not store, live under Celeriac's own keys
///   (`celeriac.dead_letters`, `celeriac.revoked`).
///
/// Receiving takes as many waiting messages as asked in one atomic script (pop and record), and blocks
/// with `BRPOP` only when every queue is empty; acks, lease extensions and restores are batched.
///
/// ```swift
/// let broker = try RedisBroker(url: "redis://localhost:6379/0")
/// try await broker.publish(envelope, queue: "celery", priority: 0)
/// let deliveries = try await broker.receive(from: ["celery"], limit: 10, timeout: .seconds(1))
/// try await broker.ack(deliveries.map(\.tag))
/// await broker.close()
/// ```
public final class RedisBroker: Broker, Sendable {
    /// The Redis client the broker uses; closed by ``close()``.
    public let client: RESPClient
    /// The settings the broker was created with.
    public let configuration: Configuration
    let keys: RedisKeys
    let logger: Logger
    let state = Mutex(State())

    struct State {
        /// Queues whose bindings this instance declared (kombu declares each once per channel).
        var declared: Set<String> = []
        /// The queue order for the next receive; a queue a message came from moves to the end (kombu's cycle).
        var rotation: [String] = []
        /// When `restore_visible` last ran, `nil` before the first receive.
        var lastRestore: ContinuousClock.Instant?
        /// Messages that are not JSON objects, so can't be recorded in `unacked`: held here until acked.
        var untracked: [String: (queue: String, envelope: [UInt8])] = [:]
        /// Whether ``close()`` was called.
        var closed = false
    }

    /// Creates a broker on an existing client; the broker owns it from now on.
    /// - Parameters:
    ///   - client: the Redis client.
    ///   - configuration: visibility timeout, key prefix, restore interval and logger.
    public init(client: RESPClient, configuration: Configuration = Configuration()) {
        self.client = client
        self.configuration = configuration
        self.keys = RedisKeys(prefix: configuration.keyPrefix)
        self.logger = configuration.logger
    }

    /// Creates a broker for a `redis://`, `rediss://` or `sentinel://` URL; nothing connects until first use.
    /// - Parameters:
    ///   - url: the broker URL, as Celery writes it.
    ///   - configuration: visibility timeout, key prefix, restore interval and logger.
    ///   - sentinelMasterName: the master's name for `sentinel://` URLs without a `master_name` option.
    /// - Throws: ``RESPError`` with code ``RESPError/Code/invalidConfiguration`` for a malformed URL.
    public convenience init(url: String, configuration: Configuration = Configuration(), sentinelMasterName: String? = nil) throws {
        let clientConfiguration = try RESPClient.Configuration(url: url, sentinelMasterName: sentinelMasterName)
        self.init(client: RESPClient(configuration: clientConfiguration, logger: configuration.logger), configuration: configuration)
    }

    /// Publishes one envelope with `LPUSH` onto the queue's list for the priority's step, declaring the
    /// queue's binding first if this broker has not yet.
    /// - Parameters:
    ///   - envelope: the kombu envelope bytes, pushed as they are.
    ///   - queue: the queue name.
    ///   - priority: Celery's priority 0-9, mapped to kombu's steps 0, 3, 6, 9.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/brokerFailure``) when Redis fails.
    public func publish(_ envelope: [UInt8], queue: String, priority: Int) async throws {
        try await publish(batch: [OutgoingEnvelope(envelope: envelope, queue: queue, priority: priority)])
    }

    /// Publishes several envelopes in one pipeline (binding declarations included).
    /// - Parameter batch: the envelopes, queues and priorities.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/brokerFailure``) when Redis fails.
    public func publish(batch: [OutgoingEnvelope]) async throws {
        guard !batch.isEmpty else { return }
        try checkOpen()
        let undeclared = state.withLock { state in
            var seen = Set<String>()
            return batch.map(\.queue).filter { !state.declared.contains($0) && seen.insert($0).inserted }
        }
        var commands: [RESPCommand] = []
        commands.reserveCapacity(batch.count + undeclared.count * 2)
        for queue in undeclared {
            commands.append(contentsOf: bindingCommands(queue))
        }
        for item in batch {
            commands.append(RESPCommand("LPUSH", .string(keys.list(item.queue, priority: item.priority)), .bytes(ByteBuffer(bytes: item.envelope))))
        }
        try await run(commands, "publishing")
        if !undeclared.isEmpty { state.withLock { $0.declared.formUnion(undeclared) } }
    }

    /// kombu's `_queue_bind` for a queue bound to the exchange of its own name: `SADD` on the binding and
    /// permanent-binding sets.
    func bindingCommands(_ queue: String) -> [RESPCommand] {
        let member = RESPCommand.Argument.string(RedisKeys.bindingMember(queue))
        return [
            RESPCommand("SADD", .string(keys.binding(queue)), member),
            RESPCommand("SADD", .string(keys.bindingPermanent(queue)), member),
        ]
    }

    /// Closes the client. Messages received and not acked stay in `unacked` until restored.
    public func close() async {
        state.withLock { $0.closed = true }
        await client.close()
    }

    func checkOpen() throws {
        if state.withLock({ $0.closed }) { throw CeleriacError(.closed, "the Redis broker is closed") }
    }

    /// Runs a pipeline, failing on the first error reply.
    @discardableResult
    func run(_ commands: [RESPCommand], _ what: String) async throws -> [RESPValue] {
        let replies: [RESPValue]
        do {
            replies = try await client.pipeline(commands)
        } catch {
            throw Self.failure(what, error)
        }
        for reply in replies {
            if let message = reply.errorMessage { throw CeleriacError(.brokerFailure, "Redis refused \(what): \(message)") }
            // A failed transaction answers EXEC with an array holding the error replies.
            if let inner = reply.elements?.first(where: { $0.errorMessage != nil })?.errorMessage {
                throw CeleriacError(.brokerFailure, "Redis refused \(what): \(inner)")
            }
        }
        return replies
    }

    /// Sends one command, wrapping failures.
    @discardableResult
    func send(_ command: RESPCommand, _ what: String) async throws -> RESPValue {
        do {
            return try await client.send(command)
        } catch {
            throw Self.failure(what, error)
        }
    }

    /// Runs a script, wrapping failures.
    @discardableResult
    func run(_ script: RedisScript, keys: [String], arguments: [RESPCommand.Argument], _ what: String) async throws -> RESPValue {
        do {
            return try await script.run(on: client, keys: keys, arguments: arguments)
        } catch {
            throw Self.failure(what, error)
        }
    }

    static func failure(_ what: String, _ error: any Error) -> any Error {
        if error is CeleriacError || error is CancellationError { return error }
        return CeleriacError(.brokerFailure, "Redis failed while \(what)", underlying: error)
    }
}
