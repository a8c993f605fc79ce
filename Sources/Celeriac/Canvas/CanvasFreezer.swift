import Foundation

/// Gives every task, group and chord of a canvas its id before anything is sent (Celery's `freeze`), and
/// puts chains in the form Celery sends: nested chains flattened, a group followed by a step made a chord.
enum CanvasFreezer {
    /// The canvas with ids set everywhere; ids already set are kept.
    static func freeze(_ signature: Signature) -> Signature {
        var signature = signature
        switch signature.subtaskType {
        case "group":
            if signature.id == nil { signature.id = newID() }
            guard let members = try? signature.canvasTasks() else { return signature }
            signature.kwargs["tasks"] = .array(indexed(members.map(freeze)).map { $0.json() })
        case "chain":
            guard let steps = try? signature.canvasTasks() else { return signature }
            signature.kwargs["tasks"] = .array(normalize(steps).map { freeze($0).json() })
        case "chord":
            guard let header = try? signature.canvasTasks(), let body = try? signature.chordBody() else { return signature }
            let groupID = signature.chordHeaderID() ?? signature.id ?? newID()
            let members = indexed(flattenGroups(header).map(freeze))
            signature.kwargs["header"] = Signature.group(members, options: ["task_id": .string(groupID)]).json()
            signature.kwargs["body"] = freeze(body).json()
            signature.id = groupID
        default:
            if signature.id == nil { signature.id = newID() }
        }
        return signature
    }

    /// The result shape of a frozen canvas: a task's id, a group's ids, a chain's last step, a chord's body.
    static func node(of signature: Signature) -> ResultNode {
        switch signature.subtaskType {
        case "group": return .group(signature.id ?? "", ((try? signature.canvasTasks()) ?? []).map(node(of:)))
        case "chain": return ((try? signature.canvasTasks())?.last).map(node(of:)) ?? .task(signature.id ?? "")
        case "chord": return (try? signature.chordBody()).map(node(of:)) ?? .task(signature.id ?? "")
        default: return .task(signature.id ?? "")
        }
    }

    /// Chain steps as Celery sends them: nested chains unrolled, `group | step` upgraded to a chord.
    static func normalize(_ steps: [Signature]) -> [Signature] {
        var flat: [Signature] = []
        for step in steps {
            if step.subtaskType == "chain", step.args.isEmpty, step.kwargs.count == 1, let inner = try? step.canvasTasks() {
                flat += normalize(inner)
            } else {
                flat.append(step)
            }
        }
        var result: [Signature] = []
        var index = 0
        while index < flat.count {
            let step = flat[index]
            if step.subtaskType == "group", index + 1 < flat.count, let members = try? step.canvasTasks() {
                var options: JSONObject = [:]
                if let id = step.id { options["task_id"] = .string(id) }
                var chord = Signature.chord(header: members, body: flat[index + 1], options: options)
                if let id = step.id {
                    chord.kwargs["header"] = Signature.group(members, options: ["task_id": .string(id)]).json()
                }
                result.append(chord)
                index += 2
            } else {
                result.append(step)
                index += 1
            }
        }
        return result
    }

    /// Group members in a chord header are members of the header itself, as Celery unrolls them.
    static func flattenGroups(_ members: [Signature]) -> [Signature] {
        members.flatMap { member -> [Signature] in
            if member.subtaskType == "group", let inner = try? member.canvasTasks() { return flattenGroups(inner) }
            return [member]
        }
    }

    private static func indexed(_ members: [Signature]) -> [Signature] {
        members.enumerated().map { $0.element.setting("group_index", .int($0.offset)) }
    }

    private static func newID() -> String { RandomID.uuid4() }
}
