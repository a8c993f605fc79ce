import CeleriacTesting

/// The shared test server launcher (``RedisServerProcess`` in CeleriacTesting) under this suite's name.
typealias IntegrationRedisServer = RedisServerProcess
