import Synchronization
import Logging

extension Worker {
    /// Sends `link` callbacks (with the result prepended unless immutable) and the next task of a chain.
    func sendCallbacks(of message: TaskMessage, result: JSONValue) async {
        var signatures: [(Signature, [JSONValue]?)] = []
        for raw in message.embed.callbacks ?? [] {
            guard let signature = try? Signature(json: raw) else { continue }
            signatures.append((signature, nil))
        }
        var chain = message.embed.chain ?? []
        if let next = chain.popLast(), let signature = try? Signature(json: next) {
            signatures.append((signature, chain))
        }
        for (signature, remainingChain) in signatures {
            let args = signature.immutable ? signature.args : [result] + signature.args
            await send(signature, args: args, parent: message, chain: remainingChain)
        }
    }

    /// Sends `link_error` callbacks with the failed task's id, as Celery does for errbacks sent as tasks.
    func sendErrbacks(of message: TaskMessage) async {
        for raw in message.embed.errbacks ?? [] {
            guard let signature = try? Signature(json: raw) else { continue }
            let args = signature.immutable ? signature.args : [.string(message.headers.id)] + signature.args
            await send(signature, args: args, parent: message, chain: nil)
        }
    }

    private func send(_ signature: Signature, args: [JSONValue], parent: TaskMessage, chain: [JSONValue]?) async {
        let options = signature.options
        var callOptions = CallOptions()
        callOptions.taskID = options["task_id"]?.stringValue
        callOptions.queue = options["queue"]?.stringValue ?? options["routing_key"]?.stringValue
        callOptions.priority = options["priority"]?.intValue
        callOptions.countdown = options["countdown"]?.doubleValue
        callOptions.parentID = parent.headers.id
        callOptions.rootID = parent.headers.rootID ?? parent.headers.id
        if let links = options["link"]?.arrayValue { callOptions.link = links.compactMap { try? Signature(json: $0) } }
        if let links = options["link_error"]?.arrayValue { callOptions.linkError = links.compactMap { try? Signature(json: $0) } }
        var (message, target) = app.makeMessage(name: signature.task, args: args, kwargs: signature.kwargs, options: callOptions, explicitIgnoreResult: false)
        if let chain { message.embed.chain = chain }
        do {
            try await app.publish(message, queue: target)
        } catch {
            logger.error("sending a callback failed", metadata: [LogKeys.taskName: "\(signature.task)", LogKeys.error: "\(error)"])
        }
    }
}
