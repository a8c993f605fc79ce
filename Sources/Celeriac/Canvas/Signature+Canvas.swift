extension Signature {
    /// Celery's chain signature (`celery.chain`, `kwargs.tasks`): each step's result is the first argument
    /// of the next.
    public static func chain(_ steps: [Signature], options: JSONObject = [:]) -> Signature {
        Signature(task: "celery.chain", kwargs: ["tasks": .array(steps.map { $0.json() })], options: options, subtaskType: "chain")
    }

    /// Celery's group signature (`celery.group`, `kwargs.tasks`): the tasks run in parallel.
    public static func group(_ members: [Signature], options: JSONObject = [:]) -> Signature {
        Signature(task: "celery.group", kwargs: ["tasks": .array(members.map { $0.json() })], options: options, subtaskType: "group")
    }

    /// Celery's chord signature (`celery.chord`, `kwargs.header`, `kwargs.body`): the body gets the list of
    /// the header's results, in header order.
    public static func chord(header: [Signature], body: Signature, options: JSONObject = [:]) -> Signature {
        Signature(
            task: "celery.chord",
            kwargs: ["kwargs": .object([:]), "header": .array(header.map { $0.json() }), "body": body.json()],
            options: options, subtaskType: "chord")
    }

    /// Celery's `task.map(items)`: one `celery.map` task that calls `task` on each item in turn.
    public static func map(_ task: Signature, _ items: [JSONValue]) -> Signature {
        Signature(task: "celery.map", kwargs: ["task": task.json(), "it": .array(items)], immutable: true)
    }

    /// Celery's `task.starmap(items)`: one `celery.starmap` task that calls `task(*item)` for each item.
    public static func starmap(_ task: Signature, _ items: [[JSONValue]]) -> Signature {
        Signature(task: "celery.starmap", kwargs: ["task": task.json(), "it": .array(items.map(JSONValue.array))], immutable: true)
    }

    /// Celery's `task.chunks(items, n)` as the `celery.chunks` task (see ``chunkGroup(_:_:size:)`` for the
    /// group Celery applies instead when a client calls it).
    public static func chunks(_ task: Signature, _ items: [[JSONValue]], size: Int) -> Signature {
        Signature(task: "celery.chunks", kwargs: ["task": task.json(), "it": .array(items.map(JSONValue.array)), "n": .int(size)], immutable: true)
    }

    /// What `chunks(...).apply_async()` sends: a group of `celery.starmap` tasks of `size` items each.
    public static func chunkGroup(_ task: Signature, _ items: [[JSONValue]], size: Int) -> Signature {
        let size = max(1, size)
        let parts = stride(from: 0, to: items.count, by: size).map { Array(items[$0..<min($0 + size, items.count)]) }
        return .group(parts.map { starmap(task, $0) })
    }

    /// The steps of a chain or the members of a group (`kwargs.tasks`); a chord's header.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/malformedMessage``) for a malformed member.
    public func canvasTasks() throws -> [Signature] {
        switch subtaskType {
        case "chord":
            guard let header = kwargs["header"] else { return [] }
            if let list = header.arrayValue { return try list.map(Signature.init(json:)) }
            let group = try Signature(json: header)
            return group.subtaskType == "group" ? try group.canvasTasks() : [group]
        default:
            return try (kwargs["tasks"]?.arrayValue ?? []).map(Signature.init(json:))
        }
    }

    /// A chord's body.
    /// - Throws: ``CeleriacError`` when this is not a chord with a body.
    public func chordBody() throws -> Signature {
        guard subtaskType == "chord", let body = kwargs["body"] else {
            throw CeleriacError(.malformedMessage, "a chord signature needs kwargs.body")
        }
        return try Signature(json: body)
    }

    /// The group id a chord's header uses (the header group's `task_id`), when set.
    func chordHeaderID() -> String? {
        guard let header = kwargs["header"], header.arrayValue == nil else { return nil }
        return header.objectValue?["options"]?.objectValue?["task_id"]?.stringValue
    }

    /// How many header results this counts for in a chord (Celery's `chord._descend`): 1 for a task, the
    /// sum of its members for a group, the last counting step for a chain, the body for a chord.
    public func chordContribution() -> Int {
        switch subtaskType {
        case "group": return ((try? canvasTasks()) ?? []).reduce(0) { $0 + $1.chordContribution() }
        case "chain":
            for step in ((try? canvasTasks()) ?? []).reversed() {
                let size = step.chordContribution()
                if size > 0 { return size }
            }
            return 0
        case "chord": return (try? chordBody())?.chordContribution() ?? 0
        default: return 1
        }
    }
}
