extension TaskError {
    /// kombu's `LimitExceeded`: the FAILURE stored for a message larger than `celeriac_max_message_size`.
    static func limitExceeded(_ reason: String) -> TaskError {
        TaskError(excType: "LimitExceeded", excModule: "kombu.exceptions", excMessage: [.string(reason)])
    }

    /// The FAILURE stored for a message that could not be decoded into a task message, named as Python
    /// Celery names the problem:
    ///
    /// - a content type it refuses (pickle, YAML, msgpack, compressed): kombu's `ContentDisallowed`;
    /// - an envelope or body that is not JSON (or whose base64 body does not decode): kombu's `DecodeError`;
    /// - JSON that is not a valid task message (a body that is not `[args, kwargs, embed]`, a missing or
    ///   mistyped header): Celery's `InvalidTaskError`.
    static func classifying(_ error: any Error, envelope: [UInt8]) -> TaskError {
        let celeriacError = error as? CeleriacError
        let reason = celeriacError?.message ?? "\(error)"
        if celeriacError?.code == .contentTypeRefused {
            return TaskError(excType: "ContentDisallowed", excModule: "kombu.exceptions", excMessage: [.string(reason)])
        }
        if !decodesAsJSON(envelope) {
            return TaskError(excType: "DecodeError", excModule: "kombu.exceptions", excMessage: [.string(reason)])
        }
        return TaskError(excType: "InvalidTaskError", excModule: "celery.exceptions", excMessage: [.string(reason)])
    }

    /// Whether the envelope and its body both parse as JSON (the body base64-decoded first when the
    /// envelope says so). Anything that is not an envelope object with a body string counts as decodable:
    /// its problem is its shape, not its encoding.
    private static func decodesAsJSON(_ envelope: [UInt8]) -> Bool {
        guard let parsed = try? JSONValue.parse(envelope) else { return false }
        guard let object = parsed.objectValue, let body = object["body"]?.stringValue else { return true }
        var bytes = Array(body.utf8)
        if object["properties"]?.objectValue?["body_encoding"]?.stringValue == "base64" {
            guard let decoded = try? Base64.decode(body) else { return false }
            bytes = decoded
        }
        return (try? JSONValue.parse(bytes)) != nil
    }
}
