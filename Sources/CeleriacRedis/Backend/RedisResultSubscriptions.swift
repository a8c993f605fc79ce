import CeleriacRESP
import Logging
import NIOCore

/// One pub/sub connection shared by every ``RedisResultBackend/waitForReady(taskID:timeout:)``: it subscribes
/// to a result channel while at least one waiter wants it and hands each published message to its waiters.
actor RedisResultSubscriptions {
    private struct Channel {
        var waiters: [UInt64: AsyncStream<ByteBuffer>.Continuation]
        var confirmed: Task<Void, any Error>
    }

    private let client: RESPClient
    private let logger: Logger
    private var subscriber: RESPSubscriber?
    private var connecting: Task<RESPSubscriber, any Error>?
    private var channels: [String: Channel] = [:]
    private var nextID: UInt64 = 0
    private var closed = false

    init(client: RESPClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Subscribes to `channel` (unless already subscribed) and returns once Redis confirmed it, with the
    /// stream of its messages. The stream ends when the connection breaks.
    func register(_ channel: String) async throws -> (id: UInt64, messages: AsyncStream<ByteBuffer>) {
        let subscriber = try await connectedSubscriber()
        nextID += 1
        let id = nextID
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream(bufferingPolicy: .bufferingNewest(8))
        let confirmed: Task<Void, any Error>
        if var existing = channels[channel] {
            existing.waiters[id] = continuation
            channels[channel] = existing
            confirmed = existing.confirmed
        } else {
            confirmed = Task { try await subscriber.subscribe([channel]) }
            channels[channel] = Channel(waiters: [id: continuation], confirmed: confirmed)
        }
        do {
            try await confirmed.value
        } catch {
            await unregister(channel, id: id)
            throw error
        }
        return (id, stream)
    }

    /// Removes a waiter; the last one out unsubscribes the channel.
    func unregister(_ channel: String, id: UInt64) async {
        guard var state = channels[channel] else { return }
        state.waiters.removeValue(forKey: id)?.finish()
        if !state.waiters.isEmpty {
            channels[channel] = state
            return
        }
        channels[channel] = nil
        guard let subscriber, subscriber.isActive else { return }
        do {
            try await subscriber.unsubscribe([channel])
        } catch {
            logger.debug("unsubscribing a result channel failed", metadata: [RedisLogKey.error: "\(error)"])
        }
    }

    /// Closes the connection; waiting streams end.
    func close() async {
        closed = true
        connecting?.cancel()
        finishAll()
        if let subscriber { await subscriber.close() }
        subscriber = nil
    }

    private func connectedSubscriber() async throws -> RESPSubscriber {
        if closed { throw RESPError(.clientClosed, message: "the result backend is closed") }
        if let subscriber, subscriber.isActive { return subscriber }
        if let connecting { return try await connecting.value }
        let client = self.client
        let task = Task { try await client.subscriber() }
        connecting = task
        defer { connecting = nil }
        let subscriber = try await task.value
        self.subscriber = subscriber
        // The reader runs for the subscriber's lifetime, which no caller's task spans: it ends when the
        // connection closes (close() or a failure), so it is an unstructured task on purpose.
        Task { await self.read(subscriber) }
        return subscriber
    }

    private func read(_ subscriber: RESPSubscriber) async {
        do {
            for try await message in subscriber.messages {
                guard let waiters = channels[message.channel]?.waiters.values else { continue }
                for waiter in waiters { waiter.yield(message.payload) }
            }
        } catch {
            logger.debug("the result subscription connection failed", metadata: [RedisLogKey.error: "\(error)"])
        }
        if self.subscriber === subscriber {
            self.subscriber = nil
            finishAll()
        }
    }

    private func finishAll() {
        for channel in channels.values { for waiter in channel.waiters.values { waiter.finish() } }
        channels.removeAll()
    }
}
