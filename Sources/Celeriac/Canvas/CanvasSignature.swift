/// A canvas value (a task signature, ``Chain``, ``Group`` or ``Chord``) with the type of its result.
public protocol CanvasSignature: Sendable {
    /// What the canvas returns (a task's or body's result; for a group, each member's).
    associatedtype Output: Codable & Sendable
    /// Celery's dict form of the canvas.
    var signature: Signature { get }
}

/// A signature of a typed task: Celery's `add.s(2, 2)`.
///
/// ```swift
/// let sig = add.s(2, 2)                  // add.s(2, 2)
/// let partial = add.s(4)                 // add.s(4): the parent's result comes first
/// let fixed = add.si(1, 1)               // add.si(1, 1)
/// ```
public struct TaskSignature<Output: Codable & Sendable>: CanvasSignature, Hashable {
    /// Celery's dict form.
    public var signature: Signature

    /// Wraps a signature whose result is an `Output`.
    public init(_ signature: Signature) { self.signature = signature }

    /// A copy with one option set (Celery's `.set(queue=...)`).
    public func set(_ key: String, _ value: JSONValue) -> TaskSignature {
        TaskSignature(signature.setting(key, value))
    }

    /// A copy with a fixed task id.
    public func withID(_ id: String) -> TaskSignature { set("task_id", .string(id)) }

    /// A copy that ignores the parent's result (`.si()`).
    public func immutable() -> TaskSignature { TaskSignature(signature.asImmutable()) }
}

extension TaskName {
    /// A signature with partial positional arguments (Celery's `task.s(*args, **kwargs)`): arguments given
    /// when it is applied (a parent's result) come first.
    public func s(_ args: JSONValue..., kwargs: JSONObject = [:]) -> TaskSignature<Output> {
        TaskSignature(Signature(task: name, args: args, kwargs: kwargs))
    }

    /// An immutable signature (Celery's `task.si(...)`): it ignores a parent's result.
    public func si(_ args: JSONValue..., kwargs: JSONObject = [:]) -> TaskSignature<Output> {
        TaskSignature(Signature(task: name, args: args, kwargs: kwargs, immutable: true))
    }

    /// A signature with all its arguments, typed.
    /// - Parameter immutable: whether it ignores a parent's result.
    /// - Throws: ``CeleriacError`` when the arguments cannot be encoded.
    public func signature(_ arguments: Arguments, immutable: Bool = false) throws -> TaskSignature<Output> {
        let (args, kwargs) = try TaskArgumentCoding.encode(arguments)
        return TaskSignature(Signature(task: name, args: args, kwargs: kwargs, immutable: immutable))
    }

    /// Celery's `task.map(items)`: one `celery.map` task calling this task on each item.
    public func map(_ items: [JSONValue]) -> TaskSignature<[Output]> {
        TaskSignature<[Output]>(.map(Signature(task: name), items))
    }

    /// Celery's `task.starmap(items)`: one `celery.starmap` task calling this task with each item's arguments.
    public func starmap(_ items: [[JSONValue]]) -> TaskSignature<[Output]> {
        TaskSignature<[Output]>(.starmap(Signature(task: name), items))
    }

    /// Celery's `task.chunks(items, n)`: a group of `celery.starmap` tasks of `size` items each.
    public func chunks(_ items: [[JSONValue]], size: Int) -> Group<[Output]> {
        Group<[Output]>(rawSignature: .chunkGroup(Signature(task: name), items, size: size))
    }
}

extension Signature: CanvasSignature {
    /// An untyped signature returns JSON.
    public typealias Output = JSONValue
    /// The signature itself.
    public var signature: Signature { self }
}
