import CeleriacTesting

/// The shared test server launcher (``RedisServerProcess`` in CeleriacTesting) under this suite's name.
typealias RedisServer = RedisServerProcess

/// An error a test helper throws to fail a test with a message.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
