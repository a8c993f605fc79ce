/// The shape of a canvas's result: one task, or a group of results (Celery's `AsyncResult` /
/// `GroupResult`, as `as_tuple()` writes them).
public indirect enum ResultNode: Sendable, Hashable {
    /// One task's result, by task id.
    case task(String)
    /// A group's results, by group id, in member order.
    case group(String, [ResultNode])

    /// The task id or group id.
    public var id: String {
        switch self {
        case .task(let id), .group(let id, _): return id
        }
    }

    /// Celery's `as_tuple()`: `[[id, null], null]` for a task, `[[gid, null], [children...]]` for a group.
    public func tuple() -> JSONValue {
        switch self {
        case .task(let id): return .array([.array([.string(id), .null]), .null])
        case .group(let id, let children): return .array([.array([.string(id), .null]), .array(children.map { $0.tuple() })])
        }
    }

    /// Reads Celery's `as_tuple()` form (`result_from_tuple`).
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/malformedResult``) when it is not one.
    public init(tuple value: JSONValue) throws {
        guard let items = value.arrayValue, items.count == 2, let head = items[0].arrayValue, let id = head.first?.stringValue else {
            throw CeleriacError(.malformedResult, "not a Celery result tuple: \(value.serialized(.compact))")
        }
        if let children = items[1].arrayValue {
            self = .group(id, try children.map(ResultNode.init(tuple:)))
        } else {
            self = .task(id)
        }
    }

    /// Every task id below this node, in order.
    public var taskIDs: [String] {
        switch self {
        case .task(let id): return [id]
        case .group(_, let children): return children.flatMap(\.taskIDs)
        }
    }
}
