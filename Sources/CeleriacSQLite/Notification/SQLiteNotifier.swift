import Synchronization

/// The process-wide registry of ``SQLiteFileSignals``, keyed by canonical database path.
///
/// Every broker and result backend of the process that opens the same file shares one
/// ``SQLiteFileSignals``: a publisher's `notify()` wakes a receiver of the same file at once. The
/// registry also asks the ``SQLiteFileWatcher`` (inotify, Linux) to watch the file, so writes by other
/// processes wake waiters too.
final class SQLiteNotifier: Sendable {
    /// The process's registry.
    static let shared = SQLiteNotifier(watcher: SQLiteFileWatcher.make())

    private struct Entry {
        let signals: SQLiteFileSignals
        var users: Int
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let watcher: SQLiteFileWatcher?

    /// Creates a registry.
    /// - Parameter watcher: the cross-process watcher, or `nil` to rely on in-process signals and polling.
    init(watcher: SQLiteFileWatcher?) {
        self.watcher = watcher
    }

    /// Whether writes by other processes wake waiters (inotify is available), rather than polling alone.
    var watchesOtherProcesses: Bool { watcher != nil }

    /// The signals of the file at `path` (a canonical path), shared with every other user of the file.
    /// Balance each call with ``unregister(_:)``.
    func register(path: String) -> SQLiteFileSignals {
        entries.withLock { entries in
            if var entry = entries[path] {
                entry.users += 1
                entries[path] = entry
                return entry.signals
            }
            let signals = SQLiteFileSignals(path: path)
            entries[path] = Entry(signals: signals, users: 1)
            // Inside the lock, so a concurrent unregister cannot unwatch before this watch starts.
            watcher?.watch(signals)
            return signals
        }
    }

    /// Gives up a registration; the file is no longer watched once its last user is gone.
    func unregister(_ signals: SQLiteFileSignals) {
        entries.withLock { entries in
            guard var entry = entries[signals.path], entry.signals === signals else { return }
            entry.users -= 1
            if entry.users > 0 {
                entries[signals.path] = entry
            } else {
                entries[signals.path] = nil
                watcher?.unwatch(signals)
            }
        }
    }
}
