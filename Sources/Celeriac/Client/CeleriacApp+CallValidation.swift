extension CeleriacApp {
    /// Celery's priorities on every Celeriac broker: 0 to 9 (0 is taken first).
    public static let priorityRange = 0...9

    /// Refuses a call whose priority (the call's, else the task's `TaskOptions.priority`) is outside 0-9, before
    /// anything is sent: Celeriac's brokers order priorities 0-9, so a silent clamp would send the message
    /// with a priority the caller did not ask for.
    /// - Throws: ``CeleriacError`` with code ``CeleriacError/Code/badArguments`` naming the value and its source.
    func validatePriority(name: String, options: CallOptions) throws(CeleriacError) {
        let given: (value: Int, source: String)?
        if let priority = options.priority {
            given = (priority, "the call's priority")
        } else if let priority = registry.task(named: name)?.options.priority {
            given = (priority, "the task's TaskOptions.priority")
        } else {
            given = nil
        }
        guard let given, !Self.priorityRange.contains(given.value) else { return }
        throw CeleriacError(
            .badArguments,
            "\(given.source) is \(given.value): priorities go from 0 to 9 (0 is taken first); nothing was sent",
            taskID: options.taskID, taskName: name)
    }
}
