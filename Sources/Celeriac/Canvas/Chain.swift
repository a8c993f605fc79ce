/// Celery's `chain`: steps run one after another, each step's result prepended to the next one's arguments.
///
/// ```swift
/// let workflow = add.s(1, 2) | add.s(3) | add.s(4)      // chain(add.s(1, 2), add.s(3), add.s(4))
/// let result = try await app.apply(workflow)            // AsyncResult of the last step
/// let ten = try await result.get(timeout: .seconds(10))
/// ```
public struct Chain<Output: Codable & Sendable>: CanvasSignature {
    /// The steps, in order.
    public var steps: [Signature]
    /// Options of the chain itself.
    public var options: JSONObject

    /// A chain of steps whose last one returns `Output`.
    public init(steps: [Signature], options: JSONObject = [:]) {
        self.steps = steps
        self.options = options
    }

    /// Celery's dict form (`celery.chain`).
    public var signature: Signature { .chain(steps, options: options) }
}

extension Chain where Output == JSONValue {
    /// A chain of untyped steps.
    public init(_ steps: any CanvasSignature...) {
        self.init(steps: steps.map(\.signature))
    }
}

/// Chains two canvases (Celery's `|`); a chain on the left is extended, not nested.
public func | <L: CanvasSignature, R: CanvasSignature>(lhs: L, rhs: R) -> Chain<R.Output> {
    let left = lhs.signature
    let steps = left.subtaskType == "chain" && left.options.isEmpty ? ((try? left.canvasTasks()) ?? [left]) : [left]
    return Chain<R.Output>(steps: steps + [rhs.signature])
}
