/// Celery's built-in tasks (`celery/app/builtins.py`) that a message from Python may name: `celery.map`,
/// `celery.starmap`, `celery.chunks`, `celery.accumulate` and `celery.backend_cleanup`.
///
/// Chords need no `celery.chord_unlock` here: every Celeriac backend joins chords itself (see
/// `docs/canvas.md`).
enum BuiltinTasks {
    /// Registers the built-ins in the app's registry, leaving tasks the app registered under those names.
    static func register(in app: CeleriacApp) {
        let registry = app.registry
        func add(_ name: String, _ body: @escaping @Sendable ([JSONValue], JSONObject, TaskContext) async throws -> JSONValue) {
            guard registry.task(named: name) == nil else { return }
            registry.register(name: name, body)
        }
        add("celery.map") { [weak registry] args, kwargs, context in
            let (task, items) = try mapArguments(args, kwargs, name: "celery.map")
            let run = try lookUp(task, in: registry)
            var results: [JSONValue] = []
            for item in items { results.append(try await run([item], [:], context)) }
            return .array(results)
        }
        add("celery.starmap") { [weak registry] args, kwargs, context in
            let (task, items) = try mapArguments(args, kwargs, name: "celery.starmap")
            let run = try lookUp(task, in: registry)
            var results: [JSONValue] = []
            for item in items {
                guard let arguments = item.arrayValue else {
                    throw TaskError.typeError("celery.starmap: each item must be a list of arguments, not \(item.pythonRepr())")
                }
                results.append(try await run(arguments, [:], context))
            }
            return .array(results)
        }
        add("celery.chunks") { [weak app] args, kwargs, context in
            let (task, items) = try mapArguments(args, kwargs, name: "celery.chunks")
            guard let size = (kwargs["n"] ?? (args.count > 2 ? Optional(args[2]) : Optional<JSONValue>.none))?.intValue, size > 0 else {
                throw TaskError.typeError("celery.chunks() needs a positive chunk size n")
            }
            guard let app else { throw TaskError.runtimeError("the app is gone") }
            let parts = try items.map { item -> [JSONValue] in
                guard let arguments = item.arrayValue else { throw TaskError.typeError("celery.chunks: each item must be a list of arguments") }
                return arguments
            }
            let options: JSONObject = ["parent_id": .string(context.id), "root_id": .string(context.headers.rootID ?? context.id)]
            let node = try await app.applyCanvas(.chunkGroup(task, parts, size: size), options: options)
            return node.tuple()
        }
        add("celery.accumulate") { args, kwargs, _ in
            guard let index = kwargs["index"], index != .null else { return .array(args) }
            guard let position = index.intValue, args.indices.contains(position) else {
                throw TaskError(excType: "IndexError", excMessage: ["tuple index out of range"])
            }
            return args[position]
        }
        add("celery.backend_cleanup") { [weak app] _, _, _ in
            _ = try await app?.backend?.deleteExpired()
            return .null
        }
    }

    /// `(task, it)` from positional or keyword arguments.
    private static func mapArguments(_ args: [JSONValue], _ kwargs: JSONObject, name: String) throws -> (Signature, [JSONValue]) {
        guard let rawTask = kwargs["task"] ?? args.first, let rawItems = kwargs["it"] ?? (args.count > 1 ? Optional(args[1]) : Optional<JSONValue>.none) else {
            throw TaskError.typeError("\(name)() missing required arguments: 'task' and 'it'")
        }
        let task: Signature
        if let name = rawTask.stringValue {
            task = Signature(task: name)
        } else {
            do {
                task = try Signature(json: rawTask)
            } catch {
                throw TaskError.typeError("\(name)(): task must be a signature")
            }
        }
        guard let items = rawItems.arrayValue else { throw TaskError.typeError("\(name)(): it must be a list") }
        return (task, items)
    }

    private static func lookUp(_ task: Signature, in registry: TaskRegistry?) throws -> @Sendable ([JSONValue], JSONObject, TaskContext) async throws -> JSONValue {
        guard let registered = registry?.task(named: task.task) else {
            throw TaskError(excType: "NotRegistered", excModule: "celery.exceptions", excMessage: [.string(task.task.pythonReprString)])
        }
        return registered.run
    }
}

extension String {
    /// The string as Python's `repr` writes it (`'name'`).
    fileprivate var pythonReprString: String { JSONValue.string(self).pythonRepr() }
}
