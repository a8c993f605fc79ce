/// A handle on a group's results (Celery's `GroupResult`): each member's result, in member order.
///
/// ```swift
/// let group = try await app.apply(Group(add.s(1, 1), add.s(2, 2)))
/// try await group.save()                                   // celery-taskset-meta-<id>, as Celery writes it
/// let values = try await group.get(timeout: .seconds(10))  // [2, 4]
/// let again = try await GroupResult<JSONValue>.restore(id: group.id, app: app)
/// ```
public struct GroupResult<Output: Decodable & Sendable>: Sendable {
    /// The group id.
    public let id: String
    /// The members' results (a task id, or a nested group).
    public let children: [ResultNode]
    private let app: CeleriacApp

    /// Creates a handle on the group `id` with these members.
    public init(id: String, children: [ResultNode], app: CeleriacApp) {
        self.id = id
        self.children = children
        self.app = app
    }

    /// A handle on an applied group (a single task becomes a group of one).
    public init(node: ResultNode, app: CeleriacApp) {
        switch node {
        case .group(let id, let children): self.init(id: id, children: children, app: app)
        case .task(let id): self.init(id: id, children: [.task(id)], app: app)
        }
    }

    /// The members' handles (members that are nested groups give a handle on their group id).
    public var results: [AsyncResult<Output>] { children.map { AsyncResult(id: $0.id, app: app) } }

    /// Celery's `as_tuple()`: `[[id, null], [[[task_id, null], null], ...]]`.
    public var tuple: JSONValue { ResultNode.group(id, children).tuple() }

    /// Waits for every member and returns their results in member order (Celery's `GroupResult.get()`).
    /// - Parameter timeout: how long to wait for all of them; `nil` waits forever.
    /// - Throws: the first failed member's ``TaskFailedError`` (in member order), or ``CeleriacError`` with
    ///   code ``CeleriacError/Code/timeout``.
    public func get(timeout: Duration? = nil) async throws -> [Output] {
        let values = try await Self.values(of: children, app: app, deadline: timeout.map { ContinuousClock.now + $0 })
        return try values.map { value in
            if let output = value as? Output { return output }
            do {
                return try JSONValueDecoder().decode(Output.self, from: value)
            } catch {
                throw CeleriacError(.badResult, "a group member's result is not a \(Output.self): \(value.serialized(.compact))", underlying: error)
            }
        }
    }

    private static func values(of nodes: [ResultNode], app: CeleriacApp, deadline: ContinuousClock.Instant?) async throws -> [JSONValue] {
        let backend = try app.requireBackend()
        var values: [JSONValue] = []
        for node in nodes {
            switch node {
            case .task(let taskID):
                let remaining = deadline.map { max(.zero, $0 - ContinuousClock.now) }
                guard let meta = try await backend.waitForReady(taskID: taskID, timeout: remaining), meta.status.isReady else {
                    throw CeleriacError(.timeout, "a group member did not finish in time", taskID: taskID)
                }
                values.append(try AsyncResult<JSONValue>.value(from: meta))
            case .group(_, let children):
                values.append(.array(try await Self.values(of: children, app: app, deadline: deadline)))
            }
        }
        return values
    }

    /// The members' metadata (PENDING members are `nil`), task ids in order.
    public func metas() async throws -> [ResultMeta?] {
        let backend = try app.requireBackend()
        var metas: [ResultMeta?] = []
        for taskID in ResultNode.group(id, children).taskIDs { metas.append(try await backend.meta(for: taskID)) }
        return metas
    }

    /// How many members finished successfully (Celery's `completed_count()`).
    public func completedCount() async throws -> Int {
        try await metas().filter { $0?.status == .success }.count
    }

    /// Whether every member finished (Celery's `ready()`).
    public func ready() async throws -> Bool {
        try await metas().allSatisfy { $0?.status.isReady == true }
    }

    /// Whether every member succeeded (Celery's `successful()`).
    public func successful() async throws -> Bool {
        try await metas().allSatisfy { $0?.status == .success }
    }

    /// Whether a member failed (Celery's `failed()`).
    public func failed() async throws -> Bool {
        try await metas().contains { $0?.status == .failure }
    }

    /// Saves the group so ``restore(id:app:)`` (or Python's `GroupResult.restore`) finds it.
    public func save() async throws {
        try await app.requireBackend().saveGroup(id: id, result: tuple)
    }

    /// Deletes the saved group (Celery's `GroupResult.delete()`).
    public func delete() async throws {
        try await app.requireBackend().forgetGroup(id: id)
    }

    /// Forgets every member's result and the saved group (Celery's `GroupResult.forget()`).
    public func forget() async throws {
        let backend = try app.requireBackend()
        for taskID in ResultNode.group(id, children).taskIDs { try await backend.forget(taskID: taskID) }
        try await backend.forgetGroup(id: id)
    }

    /// Revokes every member.
    public func revoke() async throws {
        for taskID in ResultNode.group(id, children).taskIDs { try await app.revoke(taskID: taskID) }
    }

    /// A saved group, or `nil` when none is saved under `id` (Celery's `GroupResult.restore`).
    /// - Throws: ``CeleriacError`` when the backend fails or the saved value is not a group.
    public static func restore(id: String, app: CeleriacApp) async throws -> GroupResult? {
        guard let tuple = try await app.requireBackend().restoreGroup(id: id) else { return nil }
        let node = try ResultNode(tuple: tuple)
        guard case .group(let groupID, let children) = node else {
            throw CeleriacError(.malformedResult, "the saved group \(id) is not a group result")
        }
        return GroupResult(id: groupID, children: children, app: app)
    }
}
