import Foundation
import Logging

extension Worker {
    /// After a success: the chord join (when the task is a chord header member), then `link` callbacks
    /// (the result prepended unless immutable) and the next step of the chain, as Celery's tracer does.
    func sendCallbacks(of message: TaskMessage, result: JSONValue) async {
        await chordPartReturn(of: message, state: .success, result: result)
        let parent = Self.parentOptions(of: message)
        for raw in message.embed.callbacks ?? [] {
            guard let signature = parseSignature(raw, of: message, role: "callback") else { continue }
            await apply(signature, args: [result], options: parent, of: message)
        }
        var chain = message.embed.chain ?? []
        if let next = chain.popLast(), let signature = parseSignature(next, of: message, role: "chain step") {
            var options = parent
            options["chain"] = .array(chain)
            await apply(signature, args: [result], options: options, of: message)
        }
    }

    /// After a failure: the chord join, FAILURE for the rest of the chain (Celery's `_fail_chain`), then
    /// `link_error` callbacks with the failed task's id, as Celery does for errbacks sent as tasks.
    func sendErrbacks(of message: TaskMessage, error: TaskError) async {
        await chordPartReturn(of: message, state: .failure, result: .object(error.json()))
        await failChain(message.embed.chain ?? [], error: error, of: message)
        let parent = Self.parentOptions(of: message)
        for raw in message.embed.errbacks ?? [] {
            guard let signature = parseSignature(raw, of: message, role: "errback") else { continue }
            await apply(signature, args: [.string(message.headers.id)], options: parent, of: message)
        }
    }

    /// `parent_id` and `root_id` for what a task sends.
    static func parentOptions(of message: TaskMessage) -> JSONObject {
        ["parent_id": .string(message.headers.id), "root_id": .string(message.headers.rootID ?? message.headers.id)]
    }

    /// Stores FAILURE with the task's error for each remaining step of its chain (and each member of a
    /// group or chord body there), so nobody waits for results that will never come.
    func failChain(_ chain: [JSONValue], error: TaskError, of message: TaskMessage) async {
        for raw in chain.reversed() {
            guard let step = try? Signature(json: raw) else { continue }
            for taskID in CanvasFreezer.node(of: step).taskIDs where !taskID.isEmpty {
                await storeFailure(taskID: taskID, error: error, traceback: nil, message: message)
            }
        }
    }

    /// Stores a FAILURE for a task that will not run.
    func storeFailure(taskID: String, error: TaskError, traceback: String?, message: TaskMessage) async {
        guard let backend = app.backend else { return }
        let meta = ResultMeta(taskID: taskID, status: .failure, result: .object(error.json()), traceback: traceback, dateDone: CeleryTimestamp.format(Date()))
        do {
            try await backend.store(meta)
        } catch {
            logger.error("storing a failure failed", metadata: [LogKeys.taskID: "\(taskID)", LogKeys.error: "\(error)"])
        }
    }

    func parseSignature(_ raw: JSONValue, of message: TaskMessage, role: String) -> Signature? {
        do {
            return try Signature(json: raw)
        } catch {
            logger.error("ignoring a malformed \(role)", metadata: [LogKeys.taskID: "\(message.headers.id)", LogKeys.error: "\(error)"])
            return nil
        }
    }

    /// Applies a signature (task, chain, group or chord) on behalf of a task; failures are logged.
    func apply(_ signature: Signature, args: [JSONValue], options: JSONObject, of message: TaskMessage) async {
        do {
            try await app.applyCanvas(signature, args: args, options: options)
        } catch {
            logger.error("sending a callback failed", metadata: [LogKeys.taskName: "\(signature.task)", LogKeys.taskID: "\(message.headers.id)", LogKeys.error: "\(error)"])
        }
    }
}
