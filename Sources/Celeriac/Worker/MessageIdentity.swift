/// The task id and name read from an envelope that could not be fully decoded, so a FAILURE can still be
/// stored and the dead letter named.
struct MessageIdentity: Sendable {
    var taskID: String?
    var taskName: String?

    init(taskID: String?, taskName: String?) {
        self.taskID = taskID
        self.taskName = taskName
    }

    /// Reads `headers.id` and `headers.task` (protocol v2) or the body's `id` and `task` cannot be read
    /// here (it may be the part that is broken), so only headers are tried.
    init?(peeking envelope: [UInt8]) {
        guard let value = try? JSONValue.parse(envelope), let headers = value.objectValue?["headers"]?.objectValue else { return nil }
        let id = headers["id"]?.stringValue
        let name = headers["task"]?.stringValue
        guard id != nil || name != nil else { return nil }
        self.init(taskID: id, taskName: name)
    }
}
