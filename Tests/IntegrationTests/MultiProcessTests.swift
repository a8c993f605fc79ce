import Testing

/// Tests that run real `celeriac-example` processes (workers and one-shot commands) against one SQLite
/// file per test. Serialized: the processes share the machine's few CPUs, and timing-sensitive tests
/// (leases, warm shutdown) should not compete with each other. Every wait inside is bounded.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct MultiProcessTests {}
