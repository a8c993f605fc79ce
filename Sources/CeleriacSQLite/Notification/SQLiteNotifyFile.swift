#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small file next to the database that a process writes one byte to after a commit that other
/// processes should hear about (a message became ready, a result was stored).
///
/// Other processes watch this file, not the database's directory: the database's own writes (about five
/// WAL writes per task) then raise no inotify events at all, and the event comes *after* the commit, so a
/// woken waiter always sees the new rows.
final class SQLiteNotifyFile: Sendable {
    /// The file's path.
    let path: String
    private let descriptor: Int32

    /// Opens (creating) the file; a file that cannot be opened leaves other processes to their poll.
    init(path: String) {
        self.path = path
        self.descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// Writes one byte, raising a modify event for every process watching the file.
    func ring() {
        guard descriptor >= 0 else { return }
        var byte: UInt8 = 1
        _ = pwrite(descriptor, &byte, 1, 0)
    }
}
