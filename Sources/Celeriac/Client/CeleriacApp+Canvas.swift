import Foundation

extension CeleriacApp {
    /// Applies a task signature, chain or chord (Celery's `apply_async`).
    ///
    /// ```swift
    /// let result = try await app.apply(add.s(1, 2) | add.s(3))   // chain: the last step's result
    /// ```
    /// - Parameters:
    ///   - canvas: what to run.
    ///   - args: arguments put before the signature's own (partial) ones; for a chain, the first step's.
    ///   - kwargs: keyword arguments merged into the signature's (these win).
    ///   - options: call options merged into the signature's (these win).
    /// - Returns: the result of the task, of the chain's last step or of the chord's body.
    /// - Throws: ``CeleriacError`` when the broker fails, or a chord has no result backend to join in.
    @discardableResult
    public func apply<C: CanvasSignature>(_ canvas: C, args: [JSONValue] = [], kwargs: JSONObject = [:], options: CallOptions = CallOptions()) async throws -> AsyncResult<C.Output> {
        let node = try await applyCanvas(canvas.signature, args: args, kwargs: kwargs, options: options.signatureOptions)
        return AsyncResult(id: node.id, app: self)
    }

    /// Applies a group (Celery's `group.apply_async`).
    /// - Returns: the group's result: each member's result, in order.
    @discardableResult
    public func apply<O>(_ group: Group<O>, args: [JSONValue] = [], kwargs: JSONObject = [:], options: CallOptions = CallOptions()) async throws -> GroupResult<O> {
        let node = try await applyCanvas(group.signature, args: args, kwargs: kwargs, options: options.signatureOptions)
        return GroupResult(node: node, app: self)
    }

    /// Applies any signature in Celery's dict form: a task, `celery.chain`, `celery.group` or
    /// `celery.chord`, nested as deep as needed. Ids not set are given now (Celery's `freeze`).
    /// - Parameters:
    ///   - signature: what to run.
    ///   - args: arguments put before the signature's own.
    ///   - kwargs: keyword arguments merged into the signature's.
    ///   - options: options with Celery's names (`task_id`, `queue`, `parent_id`, `root_id`, `chain`, ...).
    /// - Returns: the shape of the result (a task id, or a group's ids).
    @discardableResult
    public func applyCanvas(_ signature: Signature, args: [JSONValue] = [], kwargs: JSONObject = [:], options: JSONObject = [:]) async throws -> ResultNode {
        let frozen = CanvasFreezer.freeze(signature)
        return try await dispatch(frozen, args: args, kwargs: kwargs, options: options)
    }

    /// Options that a chain hands to its last step (the result a group or chord header waits for).
    private static let lastStepOptions: Set<String> = ["group_id", "group_index", "chord", "link", "link_error"]

    private func dispatch(_ signature: Signature, args: [JSONValue], kwargs: JSONObject, options: JSONObject) async throws -> ResultNode {
        switch signature.subtaskType {
        case "chain": return try await dispatchChain(signature, args: args, kwargs: kwargs, options: options)
        case "group": return try await dispatchGroup(signature, args: args, kwargs: kwargs, options: options)
        case "chord": return try await dispatchChord(signature, args: args, kwargs: kwargs, options: options)
        default:
            let merged = signature.merged(args: args, kwargs: kwargs, options: options)
            return .task(try await publishSignature(merged))
        }
    }

    private func dispatchChain(_ chain: Signature, args: [JSONValue], kwargs: JSONObject, options: JSONObject) async throws -> ResultNode {
        var steps = try chain.canvasTasks()
        guard !steps.isEmpty else { throw CeleriacError(.malformedMessage, "a chain needs at least one step") }
        // A chain's own partial args go after the call's, before the first step's; its kwargs hold the steps.
        let firstArgs = args + chain.args
        var chainOptions = chain.options
        for (key, value) in options { chainOptions[key] = value }
        var firstOptions: JSONObject = [:]
        for (key, value) in chainOptions where key != "task_id" {
            if Self.lastStepOptions.contains(key) {
                steps[steps.count - 1].options[key] = value
            } else {
                firstOptions[key] = value
            }
        }
        let result = CanvasFreezer.node(of: steps[steps.count - 1])
        if steps.count > 1 {
            firstOptions["chain"] = .array(steps.dropFirst().reversed().map { $0.json() })
        }
        _ = try await dispatch(steps[0], args: firstArgs, kwargs: kwargs, options: firstOptions)
        return result
    }

    private func dispatchGroup(_ group: Signature, args: [JSONValue], kwargs: JSONObject, options: JSONObject) async throws -> ResultNode {
        let members = try group.canvasTasks()
        var shared = group.options
        for (key, value) in options { shared[key] = value }
        let groupID = group.id ?? options["task_id"]?.stringValue ?? RandomID.uuid4()
        shared["task_id"] = nil
        if shared["chain"]?.arrayValue?.isEmpty == true { shared["chain"] = nil }
        shared["group_id"] = .string(groupID)
        var children: [ResultNode] = []
        for (index, member) in members.enumerated() {
            var memberOptions = shared
            memberOptions["group_index"] = .int(index)
            var member = member
            member.options["group_id"] = nil
            children.append(try await dispatch(member, args: args, kwargs: kwargs, options: memberOptions))
        }
        return .group(groupID, children)
    }

    private func dispatchChord(_ chord: Signature, args: [JSONValue], kwargs: JSONObject, options: JSONObject) async throws -> ResultNode {
        let header = try chord.canvasTasks()
        var body = try chord.chordBody()
        var all = chord.options
        for (key, value) in options { all[key] = value }
        let groupID = chord.chordHeaderID() ?? chord.id ?? RandomID.uuid4()
        var headerOptions: JSONObject = [:]
        for (key, value) in all {
            switch key {
            case "task_id", "chord", "group_id", "group_index": continue
            case "countdown", "eta": headerOptions[key] = value
            case "chain", "link", "link_error":
                if value.arrayValue?.isEmpty != true { body.options[key] = value }
            case "parent_id": headerOptions[key] = value
            default:
                headerOptions[key] = value
                body.options[key] = value
            }
        }
        body.options["group_id"] = .string(groupID)
        let result = CanvasFreezer.node(of: body)
        guard !header.isEmpty else {
            _ = try await dispatch(body, args: [.array([])], kwargs: [:], options: [:])
            return result
        }
        let size = header.reduce(0) { $0 + $1.chordContribution() }
        try await requireBackend().setChordSize(groupID: groupID, size: size)
        headerOptions["chord"] = body.json()
        let headerGroup = Signature.group(header, options: ["task_id": .string(groupID)])
        _ = try await dispatchGroup(headerGroup, args: args, kwargs: kwargs, options: headerOptions)
        return result
    }

    /// Publishes one task signature (its `options` read as `apply_async`'s, `chain` and `chord` into the
    /// embed); returns its task id.
    func publishSignature(_ signature: Signature) async throws -> String {
        var callOptions = CallOptions(signatureOptions: signature.options)
        callOptions.taskID = signature.id ?? RandomID.uuid4()
        var (message, queue) = makeMessage(name: signature.task, args: signature.args, kwargs: signature.kwargs, options: callOptions, explicitIgnoreResult: true)
        // Celery sends the last step of a chain with `chain: []`.
        if let chain = signature.options["chain"]?.arrayValue { message.embed.chain = chain }
        if let chord = signature.options["chord"], chord != .null { message.embed.chord = chord }
        try await publish(message, queue: queue)
        return message.headers.id
    }
}
