#if canImport(Glibc)
import Foundation
import Glibc
import Synchronization

/// Wakes waiters when another process writes a database file, with Linux inotify.
///
/// One inotify descriptor serves the whole process, read by one dedicated thread that lives as long as
/// the process. Each database's directory is watched (`IN_MODIFY`, `IN_CLOSE_WRITE`, `IN_CREATE`,
/// `IN_MOVED_TO`), because the `-wal` file comes and goes; events on the database, its `-wal` or
/// `-journal` file signal that database's ``SQLiteFileSignals``. A commit in WAL mode writes the `-wal`
/// file, so another process's commit wakes our waiters within the time the kernel takes to deliver the
/// event (well under a millisecond on an idle machine). Writes by this process also raise events;
/// waiters then find nothing new and wait again.
final class SQLiteFileWatcher: Sendable {
    private struct Directory {
        var descriptor: Int32
        /// Signals by database file name.
        var files: [String: SQLiteFileSignals] = [:]
    }

    private struct State {
        var directories: [String: Directory] = [:]
        var directoryByDescriptor: [Int32: String] = [:]
    }

    private let descriptor: Int32
    private let state = Mutex(State())

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Starts the process's watcher, or returns `nil` when inotify is unavailable.
    static func make() -> SQLiteFileWatcher? {
        let descriptor = inotify_init1(Int32(IN_CLOEXEC))
        guard descriptor >= 0 else { return nil }
        let watcher = SQLiteFileWatcher(descriptor: descriptor)
        let thread = Thread {
            setCurrentThreadName("celeriac.inotify")
            watcher.readEvents()
        }
        thread.start()
        return watcher
    }

    /// Starts watching the file of `signals`; on failure waiters fall back to polling.
    func watch(_ signals: SQLiteFileSignals) {
        let (directory, name) = Self.split(signals.path)
        state.withLock { state in
            if state.directories[directory] == nil {
                let mask = UInt32(IN_MODIFY) | UInt32(IN_CLOSE_WRITE) | UInt32(IN_CREATE) | UInt32(IN_MOVED_TO)
                let watch = inotify_add_watch(descriptor, directory, mask)
                guard watch >= 0 else { return }
                state.directories[directory] = Directory(descriptor: watch)
                state.directoryByDescriptor[watch] = directory
            }
            state.directories[directory]?.files[name] = signals
        }
    }

    /// Stops watching the file of `signals`.
    func unwatch(_ signals: SQLiteFileSignals) {
        let (directory, name) = Self.split(signals.path)
        state.withLock { state in
            guard var entry = state.directories[directory] else { return }
            entry.files[name] = nil
            if entry.files.isEmpty {
                inotify_rm_watch(descriptor, entry.descriptor)
                state.directories[directory] = nil
                state.directoryByDescriptor[entry.descriptor] = nil
            } else {
                state.directories[directory] = entry
            }
        }
    }

    private static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    /// The watcher thread's loop: blocks in `read`, then signals every database an event batch touched.
    private func readEvents() {
        let capacity = 64 * 1024
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer, capacity)
            if count < 0 {
                if errno == EINTR { continue }
                return
            }
            let touched = touchedFiles(in: UnsafeRawBufferPointer(start: buffer, count: count))
            for signals in touched { signals.notifyAll() }
        }
    }

    /// Parses a batch of `inotify_event` records and returns the signals of the databases they name.
    private func touchedFiles(in events: UnsafeRawBufferPointer) -> [SQLiteFileSignals] {
        let headerSize = 16  // wd, mask, cookie, len: four 32-bit fields
        var touched: [ObjectIdentifier: SQLiteFileSignals] = [:]
        var offset = 0
        state.withLock { state in
            while offset + headerSize <= events.count {
                let watch = events.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                let length = Int(events.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                let nameStart = offset + headerSize
                offset = nameStart + length
                guard length > 0, offset <= events.count,
                    let directory = state.directoryByDescriptor[watch], let files = state.directories[directory]?.files
                else { continue }
                let nameBytes = UnsafeRawBufferPointer(rebasing: events[nameStart..<offset])
                let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
                if let signals = files[Self.databaseName(of: name)] {
                    touched[ObjectIdentifier(signals)] = signals
                }
            }
        }
        return Array(touched.values)
    }

    /// The database file name of `name`, which may be the database itself or its `-wal`/`-journal` file.
    private static func databaseName(of name: String) -> String {
        for suffix in ["-wal", "-journal"] where name.hasSuffix(suffix) {
            return String(name.dropLast(suffix.count))
        }
        return name
    }
}
#else
/// Stands in for the inotify watcher on platforms without it: waiters rely on in-process signals and polling.
final class SQLiteFileWatcher: Sendable {
    /// Always `nil`: there is no cross-process watcher on this platform.
    static func make() -> SQLiteFileWatcher? { nil }
    /// Does nothing.
    func watch(_ signals: SQLiteFileSignals) {}
    /// Does nothing.
    func unwatch(_ signals: SQLiteFileSignals) {}
}
#endif
