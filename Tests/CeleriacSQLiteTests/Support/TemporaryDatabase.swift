import Celeriac
import Foundation

@testable import CeleriacSQLite

/// A database path in the temporary directory, removed (with its `-wal` and `-shm` files) afterwards.
struct TemporaryDatabase {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("celeriac-test-\(UUID().uuidString).db").path
    }

    func remove() {
        for suffix in ["", "-wal", "-shm", "-journal", "-notify-messages", "-notify-results"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}

/// Runs `body` with a broker on a fresh temporary database, then closes it and removes the file.
func withBroker<T>(
    _ configuration: SQLiteBroker.Configuration = SQLiteBroker.Configuration(), _ body: (SQLiteBroker, TemporaryDatabase) async throws -> T
) async throws -> T {
    let database = TemporaryDatabase()
    defer { database.remove() }
    let broker = try await SQLiteBroker(path: database.path, configuration: configuration)
    do {
        let result = try await body(broker, database)
        await broker.close()
        return result
    } catch {
        await broker.close()
        throw error
    }
}

/// The bytes of `text`.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// The text of `bytes`.
func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// The envelopes of `deliveries` as text.
func texts(_ deliveries: [Delivery]) -> [String] { deliveries.map { text($0.envelope) } }

/// The calling thread's name as the system knows it (Linux: `/proc/thread-self/comm`).
func currentThreadName() -> String {
    let name = try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)
    return name?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
}
