/// The change signals of one database file, shared by every broker and backend of this process that
/// opened it: publishers and result writers notify them, receivers and result waiters wait on them.
final class SQLiteFileSignals: Sendable {
    /// The canonical path of the database file.
    let path: String
    /// Signalled when messages become ready (published, requeued, given back, restored).
    let messages = SQLiteChangeSignal()
    /// Signalled when a task result is stored.
    let results = SQLiteChangeSignal()
    /// Rung after commits that make messages ready, for other processes.
    let messagesFile: SQLiteNotifyFile
    /// Rung after commits that store results, for other processes.
    let resultsFile: SQLiteNotifyFile

    init(path: String) {
        self.path = path
        self.messagesFile = SQLiteNotifyFile(path: path + "-notify-messages")
        self.resultsFile = SQLiteNotifyFile(path: path + "-notify-results")
    }

    /// Tells this process's receivers and other processes' that messages became ready (after the commit).
    func messagesChanged() {
        messages.notify()
        messagesFile.ring()
    }

    /// Tells this process's result waiters and other processes' that a result was stored (after the commit).
    func resultsChanged() {
        results.notify()
        resultsFile.ring()
    }
}
