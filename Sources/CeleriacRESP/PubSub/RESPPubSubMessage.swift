import NIOCore

/// A message published on a channel the subscriber listens to.
public struct RESPPubSubMessage: Sendable, Equatable {
    /// The channel the message was published on.
    public var channel: String
    /// The pattern that matched ``channel`` for a `PSUBSCRIBE` subscription; `nil` for `SUBSCRIBE`.
    public var pattern: String?
    /// The published payload.
    public var payload: ByteBuffer
    /// Whether the message came from a shard channel (`SSUBSCRIBE`).
    public var isShardMessage: Bool

    /// Creates a message.
    /// - Parameters:
    ///   - channel: The channel the message was published on.
    ///   - pattern: The matching pattern, for pattern subscriptions.
    ///   - payload: The published payload.
    ///   - isShardMessage: Whether the message came from a shard channel.
    public init(channel: String, pattern: String? = nil, payload: ByteBuffer, isShardMessage: Bool = false) {
        self.channel = channel
        self.pattern = pattern
        self.payload = payload
        self.isShardMessage = isShardMessage
    }

    /// Reads a `message`, `pmessage` or `smessage` frame; `nil` for other kinds or a malformed frame.
    init?(kind: String, items: [RESPValue]) {
        switch kind {
        case "message", "smessage":
            guard items.count == 3, let channel = items[1].string, let payload = items[2].bytes else { return nil }
            self.init(channel: channel, payload: payload, isShardMessage: kind == "smessage")
        case "pmessage":
            guard items.count == 4, let pattern = items[1].string, let channel = items[2].string,
                let payload = items[3].bytes
            else { return nil }
            self.init(channel: channel, pattern: pattern, payload: payload)
        default:
            return nil
        }
    }
}

/// A pub/sub command whose effect the server confirms with one frame per channel or pattern.
enum RESPPubSubOperation: String, Hashable, Sendable, CaseIterable {
    case subscribe
    case unsubscribe
    case psubscribe
    case punsubscribe
    case ssubscribe
    case sunsubscribe

    /// The frame kinds a subscriber connection receives outside replies.
    private static let frameKinds: Set<String> = Set(allCases.map(\.rawValue)).union(["message", "pmessage", "smessage"])

    /// Whether a RESP2 array is a pub/sub frame (a message or a confirmation) rather than a reply.
    static func isPubSubFrame(_ items: [RESPValue]) -> Bool {
        guard items.count >= 3, let kind = items.first?.string?.lowercased() else { return false }
        return Self.frameKinds.contains(kind)
    }

    /// The command's name.
    var commandName: String { self.rawValue.uppercased() }
}

/// The channels, patterns and shard channels a subscriber connection listens to, as the server confirmed them.
struct RESPSubscriptionSet: Sendable, Hashable {
    private(set) var channels: Set<String> = []
    private(set) var patterns: Set<String> = []
    private(set) var shardChannels: Set<String> = []

    mutating func apply(_ operation: RESPPubSubOperation, name: String?) {
        guard let name else { return }
        switch operation {
        case .subscribe: self.channels.insert(name)
        case .unsubscribe: self.channels.remove(name)
        case .psubscribe: self.patterns.insert(name)
        case .punsubscribe: self.patterns.remove(name)
        case .ssubscribe: self.shardChannels.insert(name)
        case .sunsubscribe: self.shardChannels.remove(name)
        }
    }

    /// Whether nothing of the kind `operation` works on is subscribed any more.
    func isEmpty(for operation: RESPPubSubOperation) -> Bool {
        switch operation {
        case .subscribe, .unsubscribe: return self.channels.isEmpty
        case .psubscribe, .punsubscribe: return self.patterns.isEmpty
        case .ssubscribe, .sunsubscribe: return self.shardChannels.isEmpty
        }
    }

    /// Whether nothing at all is subscribed.
    var isEmpty: Bool { self.channels.isEmpty && self.patterns.isEmpty && self.shardChannels.isEmpty }
}
