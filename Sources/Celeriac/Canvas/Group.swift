/// Celery's `group`: tasks run in parallel; the result is a ``GroupResult`` with each member's result.
///
/// ```swift
/// let group = Group((0..<3).map { add.s(.int($0), .int($0)) })
/// let result = try await app.apply(group)               // GroupResult<JSONValue>
/// let values = try await result.get(timeout: .seconds(10))   // [0, 2, 4]
/// ```
public struct Group<Output: Codable & Sendable>: CanvasSignature {
    /// Celery's dict form (`celery.group`).
    public var signature: Signature

    /// A group of canvases that each return `Output` (tasks, chains, chords).
    public init<Member: CanvasSignature>(_ members: [Member]) where Member.Output == Output {
        signature = .group(members.map(\.signature))
    }

    /// A group of canvases that each return `Output`.
    public init<Member: CanvasSignature>(_ members: Member...) where Member.Output == Output {
        self.init(members)
    }

    /// Wraps a group signature as is.
    public init(rawSignature: Signature) { signature = rawSignature }

    /// The members.
    public var members: [Signature] { (try? signature.canvasTasks()) ?? [] }

    /// A copy with a fixed group id.
    public func withID(_ id: String) -> Group { Group(rawSignature: signature.setting("task_id", .string(id))) }
}

extension Group where Output == JSONValue {
    /// A group of untyped members.
    public init(signatures: [Signature]) { signature = .group(signatures) }
}
