#if canImport(Glibc)
import Foundation
import Glibc
import Synchronization

/// Wakes waiters when another process commits to a database file, with Linux inotify.
///
/// One inotify descriptor serves the whole process, read by one dedicated thread that lives as long as
/// the process. It watches each database's two notify files (``SQLiteNotifyFile``), which writers ring
/// after a commit that makes messages ready or stores a result. Watching those small files rather than
/// the database keeps SQLite's own writes free of inotify events, and since the ring follows the commit,
/// a woken waiter always finds the new rows. The delay is the kernel's event delivery, well under a
/// millisecond on an idle machine. Rings by this process also raise events; waiters then find nothing
/// new and wait again.
final class SQLiteFileWatcher: Sendable {
    private enum Kind {
        case messages
        case results
    }

    private struct State {
        var watches: [Int32: (signals: SQLiteFileSignals, kind: Kind)] = [:]
        var watchesByPath: [String: [Int32]] = [:]
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

    /// Starts watching the notify files of `signals`; on failure waiters fall back to polling.
    func watch(_ signals: SQLiteFileSignals) {
        state.withLock { state in
            var added: [Int32] = []
            for (file, kind) in [(signals.messagesFile.path, Kind.messages), (signals.resultsFile.path, Kind.results)] {
                let watch = inotify_add_watch(descriptor, file, UInt32(IN_MODIFY))
                guard watch >= 0 else { continue }
                state.watches[watch] = (signals, kind)
                added.append(watch)
            }
            state.watchesByPath[signals.path] = added
        }
    }

    /// Stops watching the notify files of `signals`.
    func unwatch(_ signals: SQLiteFileSignals) {
        state.withLock { state in
            for watch in state.watchesByPath[signals.path] ?? [] {
                inotify_rm_watch(descriptor, watch)
                state.watches[watch] = nil
            }
            state.watchesByPath[signals.path] = nil
        }
    }

    /// The watcher thread's loop: blocks in `read`, then signals what an event batch touched.
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
            for (signals, kind) in touched(in: UnsafeRawBufferPointer(start: buffer, count: count)) {
                switch kind {
                case .messages: signals.messages.notify()
                case .results: signals.results.notify()
                }
            }
        }
    }

    /// Parses a batch of `inotify_event` records and returns each touched signal once.
    private func touched(in events: UnsafeRawBufferPointer) -> [(SQLiteFileSignals, Kind)] {
        let headerSize = 16  // wd, mask, cookie, len: four 32-bit fields
        var seen: Set<Int32> = []
        var result: [(SQLiteFileSignals, Kind)] = []
        var offset = 0
        state.withLock { state in
            while offset + headerSize <= events.count {
                let watch = events.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                let length = Int(events.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                offset += headerSize + length
                guard seen.insert(watch).inserted, let entry = state.watches[watch] else { continue }
                result.append(entry)
            }
        }
        return result
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
