import Celeriac
import Foundation
import Synchronization

/// A ``BeatStore`` in memory with an injectable clock, for unit tests of ``Beat`` only (the SQLite and
/// Redis stores are tested against real files and servers).
final class InMemoryBeatStore: BeatStore {
    struct State {
        var holder: String?
        var expiresAt = Date.distantPast
        var entries: [String: BeatEntryState] = [:]
        var claims: [(entry: String, state: BeatEntryState, holder: String)] = []
    }

    let state = Mutex(State())
    let now: @Sendable () -> Date

    init(now: @escaping @Sendable () -> Date) { self.now = now }

    private func holds(_ state: State, _ holder: String) -> Bool { state.holder == holder && state.expiresAt > now() }

    func acquireLease(holder: String, ttl: Duration) async throws -> Bool {
        let now = self.now()
        return state.withLock { state in
            guard state.holder == holder || state.holder == nil || state.expiresAt <= now else { return false }
            state.holder = holder
            state.expiresAt = now.addingTimeInterval(Double(ttl.components.seconds) + Double(ttl.components.attoseconds) / 1e18)
            return true
        }
    }

    func renewLease(holder: String, ttl: Duration) async throws -> Bool {
        let now = self.now()
        return state.withLock { state in
            guard state.holder == holder, state.expiresAt > now else { return false }
            state.expiresAt = now.addingTimeInterval(Double(ttl.components.seconds) + Double(ttl.components.attoseconds) / 1e18)
            return true
        }
    }

    func releaseLease(holder: String) async throws {
        state.withLock { if $0.holder == holder { $0.holder = nil } }
    }

    func leaseHolder() async throws -> String? {
        let now = self.now()
        return state.withLock { $0.expiresAt > now ? $0.holder : nil }
    }

    func states(for entries: [String]) async throws -> [String: BeatEntryState] {
        state.withLock { state in state.entries.filter { entries.contains($0.key) } }
    }

    func claim(entry: String, expectedTick: Int64?, next: BeatEntryState, holder: String) async throws -> Bool {
        state.withLock { state in
            guard holds(state, holder), state.entries[entry]?.tick == expectedTick else { return false }
            state.entries[entry] = next
            state.claims.append((entry, next, holder))
            return true
        }
    }

    func markSent(entry: String, tick: Int64, holder: String) async throws -> Bool {
        state.withLock { state in
            guard holds(state, holder), state.entries[entry]?.tick == tick else { return false }
            state.entries[entry]?.sent = true
            return true
        }
    }

    func close() async {}
}

/// A clock tests move by hand.
final class ManualClock: Sendable {
    private let current: Mutex<Date>
    init(_ start: Date) { current = Mutex(start) }
    var now: Date { current.withLock { $0 } }
    func advance(_ seconds: Double) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
    func set(_ date: Date) { current.withLock { $0 = date } }
}
