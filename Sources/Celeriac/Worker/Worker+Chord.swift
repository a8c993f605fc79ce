import Foundation
import Logging

extension Worker {
    /// Celery's `on_chord_part_return`: a chord header member ended (SUCCESS, FAILURE or REVOKED). The
    /// backend's join records it atomically; the one worker that completes the header sends the body with
    /// the header's results in order, or, when a member failed, fails the body with Celery's `ChordError`
    /// (`Dependency <id> raised ValueError('boom')`).
    func chordPartReturn(of message: TaskMessage, state: TaskState, result: JSONValue) async {
        guard let raw = message.embed.chord, raw != .null, let groupID = message.headers.group, let backend = app.backend else { return }
        let part = ChordPart(groupID: groupID, taskID: message.headers.id, groupIndex: message.headers.groupIndex, state: state, result: result)
        let join: ChordJoin
        do {
            join = try await backend.chordPartReturn(part)
        } catch {
            logger.error("the chord join failed", metadata: [LogKeys.taskID: "\(message.headers.id)", "celery.group.id": "\(groupID)", LogKeys.error: "\(error)"])
            return
        }
        guard case .ready(let parts, let claim) = join else { return }
        guard let body = parseSignature(raw, of: message, role: "chord body") else {
            try? await backend.endChord(groupID: groupID, claim: claim, bodySent: false)
            return
        }
        if let failed = parts.first(where: \.propagates) {
            let cause = TaskError(json: failed.result) ?? TaskError(excType: "Exception", excMessage: [failed.result])
            let error = Self.chordError("Dependency \(failed.taskID) raised \(cause)")
            logger.error("Chord raised", metadata: ["celery.group.id": "\(groupID)", LogKeys.error: "\(error)"])
            await failChord(body, error: error, of: message)
            do {
                try await backend.endChord(groupID: groupID, claim: claim, bodySent: false)
            } catch {
                logger.warning("could not end the chord", metadata: ["celery.group.id": "\(groupID)", LogKeys.error: "\(error)"])
            }
            return
        }
        do {
            try await app.applyCanvas(body, args: [.array(parts.map(\.result))], options: Self.parentOptions(of: message))
        } catch {
            logger.error("Chord callback could not be sent", metadata: ["celery.group.id": "\(groupID)", LogKeys.error: "\(error)"])
            await failChord(body, error: Self.chordError("Callback error: \(TaskError.from(error))"), of: message)
        }
        do {
            try await backend.endChord(groupID: groupID, claim: claim, bodySent: true)
        } catch {
            logger.warning("could not clean up the chord", metadata: ["celery.group.id": "\(groupID)", LogKeys.error: "\(error)"])
        }
    }

    /// Celery's `ChordError`.
    static func chordError(_ message: String) -> TaskError {
        TaskError(excType: "ChordError", excModule: "celery.exceptions", excMessage: [.string(message)])
    }

    /// Celery's `chord_error_from_stack`: the body (each task of a group or chain body) ends FAILURE with the
    /// error, its `link_error` callbacks get its id, and the chain after it fails too.
    func failChord(_ body: Signature, error: TaskError, of message: TaskMessage) async {
        let frozen = CanvasFreezer.freeze(body)
        let traceback = error.traceback(taskName: frozen.task)
        for taskID in Self.allTaskIDs(of: frozen) {
            await storeFailure(taskID: taskID, error: error, traceback: traceback, message: message)
        }
        let parent = Self.parentOptions(of: message)
        let errbacks = CallOptions(signatureOptions: frozen.options).linkError
        for errback in errbacks {
            await apply(errback, args: [.string(CanvasFreezer.node(of: frozen).id)], options: parent, of: message)
        }
        await failChain(frozen.options["chain"]?.arrayValue ?? [], error: error, of: message)
    }

    /// Every task id in a canvas: all steps of a chain, all members of a group, a chord's header and body.
    static func allTaskIDs(of signature: Signature) -> [String] {
        switch signature.subtaskType {
        case "chain", "group": return ((try? signature.canvasTasks()) ?? []).flatMap(allTaskIDs(of:))
        case "chord":
            let header = ((try? signature.canvasTasks()) ?? []).flatMap(allTaskIDs(of:))
            return header + ((try? signature.chordBody()).map(allTaskIDs(of:)) ?? [])
        default: return signature.id.map { [$0] } ?? []
        }
    }
}
