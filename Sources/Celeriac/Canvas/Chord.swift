/// Celery's `chord`: a header group, then a body called with the list of the header's results in header
/// order. A header task that fails (or is revoked) fails the body with Celery's `ChordError`
/// (`Dependency <id> raised ValueError('...')`).
///
/// ```swift
/// let chord = Chord(header: Group(add.s(1, 1), add.s(2, 2)), body: tsum.s())
/// let total = try await app.apply(chord).get(timeout: .seconds(10))   // 6
/// ```
public struct Chord<Output: Codable & Sendable>: CanvasSignature {
    /// The header's members.
    public var header: [Signature]
    /// The body.
    public var body: Signature
    /// Options of the chord itself.
    public var options: JSONObject
    /// The header's group id, when fixed.
    public var headerID: String?

    /// A chord of a header group and a body that returns `Output`.
    public init<H, Body: CanvasSignature>(header: Group<H>, body: Body, options: JSONObject = [:]) where Body.Output == Output {
        self.header = header.members
        self.body = body.signature
        self.options = options
        self.headerID = header.signature.id
    }

    /// A chord of untyped header members.
    public init<Body: CanvasSignature>(header: [Signature], body: Body, options: JSONObject = [:]) where Body.Output == Output {
        self.header = header
        self.body = body.signature
        self.options = options
    }

    /// Celery's dict form (`celery.chord`).
    public var signature: Signature {
        var signature = Signature.chord(header: header, body: body, options: options)
        if let headerID { signature.kwargs["header"] = Signature.group(header, options: ["task_id": .string(headerID)]).json() }
        return signature
    }
}
