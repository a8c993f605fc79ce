import NIOCore

/// A connection in pub/sub mode: `SUBSCRIBE`, `PSUBSCRIBE`, `SSUBSCRIBE` and their opposites, and the messages
/// they bring, as an async sequence.
///
/// Works over RESP2 (messages as arrays) and RESP3 (messages as push frames). ``messages`` is meant for one
/// reader; it buffers messages until read. It ends normally after ``close()``, and throws a ``RESPError`` if
/// the connection breaks: subscriptions are not restored, so open a new subscriber and subscribe again.
///
/// ```swift
/// let subscriber = try await client.subscriber()
/// try await subscriber.subscribe(["celeryev"])
/// for try await message in subscriber.messages { handle(message.payload) }
/// ```
public final class RESPSubscriber: Sendable {
    /// The connection subscriptions run on.
    public let connection: RESPConnection
    /// The messages of every subscription, in arrival order.
    public let messages: AsyncThrowingStream<RESPPubSubMessage, any Error>
    private let pool: RESPConnectionPool?

    init(
        connection: RESPConnection,
        messages: AsyncThrowingStream<RESPPubSubMessage, any Error>,
        pool: RESPConnectionPool?
    ) {
        self.connection = connection
        self.messages = messages
        self.pool = pool
    }

    /// Whether the connection is still open.
    public var isActive: Bool { self.connection.isActive }

    /// Subscribes to channels; returns once the server confirmed each one.
    /// - Parameter channels: The channel names.
    /// - Throws: ``RESPError`` if the server refuses or the connection fails.
    public func subscribe(_ channels: [String]) async throws {
        guard !channels.isEmpty else { return }
        try await self.connection.pubSub(.subscribe, channels)
    }

    /// Subscribes to glob-style channel patterns (`celery-task-meta-*`).
    /// - Parameter patterns: The patterns.
    /// - Throws: ``RESPError`` if the server refuses or the connection fails.
    public func psubscribe(_ patterns: [String]) async throws {
        guard !patterns.isEmpty else { return }
        try await self.connection.pubSub(.psubscribe, patterns)
    }

    /// Subscribes to shard channels (Redis 7 `SSUBSCRIBE`).
    /// - Parameter channels: The shard channel names.
    /// - Throws: ``RESPError`` if the server refuses or the connection fails.
    public func ssubscribe(_ channels: [String]) async throws {
        guard !channels.isEmpty else { return }
        try await self.connection.pubSub(.ssubscribe, channels)
    }

    /// Unsubscribes from channels; no names unsubscribes from every channel.
    /// - Parameter channels: The channel names, or none for all.
    /// - Throws: ``RESPError`` if the connection fails.
    public func unsubscribe(_ channels: [String] = []) async throws {
        try await self.connection.pubSub(.unsubscribe, channels)
    }

    /// Unsubscribes from patterns; no patterns unsubscribes from every pattern.
    /// - Parameter patterns: The patterns, or none for all.
    /// - Throws: ``RESPError`` if the connection fails.
    public func punsubscribe(_ patterns: [String] = []) async throws {
        try await self.connection.pubSub(.punsubscribe, patterns)
    }

    /// Unsubscribes from shard channels; no names unsubscribes from every shard channel.
    /// - Parameter channels: The shard channel names, or none for all.
    /// - Throws: ``RESPError`` if the connection fails.
    public func sunsubscribe(_ channels: [String] = []) async throws {
        try await self.connection.pubSub(.sunsubscribe, channels)
    }

    /// Closes the connection; ``messages`` ends normally.
    public func close() async {
        await self.connection.close()
        await self.pool?.forget(self.connection)
    }
}
