/// The change signals of one database file, shared by every broker and backend of this process that
/// opened it: publishers and result writers notify them, receivers and result waiters wait on them.
final class SQLiteFileSignals: Sendable {
    /// The canonical path of the database file.
    let path: String
    /// Signalled when messages become ready (published, requeued, given back, restored).
    let messages = SQLiteChangeSignal()
    /// Signalled when a task result is stored.
    let results = SQLiteChangeSignal()

    init(path: String) {
        self.path = path
    }

    /// Signals both: another process changed the file, and we cannot tell what changed.
    func notifyAll() {
        messages.notify()
        results.notify()
    }
}
