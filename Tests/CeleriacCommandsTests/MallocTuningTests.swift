import Testing

@testable import CeleriacCommands

@Suite struct MallocTuningTests {
    @Test("the worker's trim threshold is set unless the environment sets glibc's own")
    func environmentWins() {
        #expect(!MallocTuning.keepFreedMemory(environment: ["MALLOC_TRIM_THRESHOLD_": "131072"]))
        #expect(!MallocTuning.keepFreedMemory(environment: ["GLIBC_TUNABLES": "glibc.malloc.trim_threshold=131072"]))
        #if os(Linux)
        #expect(MallocTuning.keepFreedMemory(environment: ["GLIBC_TUNABLES": "glibc.malloc.arena_max=2"]))
        #expect(MallocTuning.keepFreedMemory(environment: [:]))
        #endif
    }
}
