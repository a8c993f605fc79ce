import Testing

@testable import CeleriacSQLite

@Suite struct SQLiteNotifierTests {
    @Test func registryHandsOutOneSignalPerPathUntilTheLastUserLeaves() {
        let registry = SQLiteNotifier(watcher: nil)
        let first = registry.register(path: "/tmp/a.db")
        let second = registry.register(path: "/tmp/a.db")
        #expect(first === second)
        #expect(registry.register(path: "/tmp/b.db") !== first)
        registry.unregister(first)
        #expect(registry.register(path: "/tmp/a.db") === first)
        registry.unregister(first)
        registry.unregister(first)
        #expect(registry.register(path: "/tmp/a.db") !== first)
    }
}
