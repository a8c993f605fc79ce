import Celeriac
import Testing

@testable import CeleriacSQLite

@Suite struct SQLiteBrokerTests {
    @Test func fifoWithinAQueue() async throws {
        try await withBroker { broker, _ in
            for i in 0..<5 { try await broker.publish(bytes("m\(i)"), queue: "q", priority: 0) }
            let first = try await broker.receive(from: ["q"], limit: 3, timeout: .zero)
            let second = try await broker.receive(from: ["q"], limit: 3, timeout: .zero)
            #expect(texts(first) == ["m0", "m1", "m2"])
            #expect(texts(second) == ["m3", "m4"])
            #expect(first.allSatisfy { $0.queue == "q" && !$0.redelivered })
            #expect(Set((first + second).map(\.tag)).count == 5)
        }
    }

    @Test func lowerPriorityNumberFirstThenFIFO() async throws {
        try await withBroker { broker, _ in
            try await broker.publish(bytes("p5-a"), queue: "q", priority: 5)
            try await broker.publish(bytes("p0-a"), queue: "q", priority: 0)
            try await broker.publish(bytes("p9-a"), queue: "q", priority: 9)
            try await broker.publish(bytes("p0-b"), queue: "q", priority: 0)
            try await broker.publish(bytes("p5-b"), queue: "q", priority: 5)
            try await broker.publish(bytes("clamped"), queue: "q", priority: 42)
            let deliveries = try await broker.receive(from: ["q"], limit: 10, timeout: .zero)
            #expect(texts(deliveries) == ["p0-a", "p0-b", "p5-a", "p5-b", "p9-a", "clamped"])
        }
    }

    @Test func receivesAcrossQueuesInPriorityThenPublishOrder() async throws {
        try await withBroker { broker, _ in
            try await broker.publish(bytes("a1"), queue: "a", priority: 3)
            try await broker.publish(bytes("b1"), queue: "b", priority: 3)
            try await broker.publish(bytes("a2"), queue: "a", priority: 3)
            try await broker.publish(bytes("b0"), queue: "b", priority: 1)
            try await broker.publish(bytes("other"), queue: "c", priority: 0)
            let deliveries = try await broker.receive(from: ["a", "b"], limit: 3, timeout: .zero)
            #expect(texts(deliveries) == ["b0", "a1", "b1"])
            #expect(deliveries.map(\.queue) == ["b", "a", "b"])
        }
    }

    @Test func batchPublishKeepsOrder() async throws {
        try await withBroker { broker, _ in
            let batch = (0..<100).map { OutgoingEnvelope(envelope: bytes("m\($0)"), queue: $0.isMultiple(of: 2) ? "even" : "odd", priority: 0) }
            try await broker.publish(batch: batch)
            let even = try await broker.receive(from: ["even"], limit: 100, timeout: .zero)
            let odd = try await broker.receive(from: ["odd"], limit: 100, timeout: .zero)
            #expect(texts(even) == stride(from: 0, to: 100, by: 2).map { "m\($0)" })
            #expect(texts(odd) == stride(from: 1, to: 100, by: 2).map { "m\($0)" })
        }
    }

    @Test func envelopesComeBackByteForByte() async throws {
        try await withBroker { broker, _ in
            let envelope: [UInt8] = Array(0...255) + Array(#"{"body": "\u00e9"}"#.utf8)
            try await broker.publish(envelope, queue: "q", priority: 0)
            let deliveries = try await broker.receive(from: ["q"], limit: 1, timeout: .zero)
            #expect(deliveries.first?.envelope == envelope)
        }
    }

    @Test func receiveTimesOutEmpty() async throws {
        try await withBroker { broker, _ in
            let clock = ContinuousClock()
            let start = clock.now
            let deliveries = try await broker.receive(from: ["q"], limit: 5, timeout: .milliseconds(150))
            #expect(deliveries.isEmpty)
            #expect(clock.now - start >= .milliseconds(140))
            #expect(try await broker.receive(from: [], limit: 5, timeout: .seconds(5)).isEmpty)
            #expect(try await broker.receive(from: ["q"], limit: 0, timeout: .seconds(5)).isEmpty)
        }
    }

    @Test func ackDeletesAndDepthsCountReadyAndUnacked() async throws {
        try await withBroker { broker, _ in
            for i in 0..<5 { try await broker.publish(bytes("a\(i)"), queue: "a", priority: 0) }
            try await broker.publish(bytes("b"), queue: "b", priority: 0)
            let deliveries = try await broker.receive(from: ["a"], limit: 3, timeout: .zero)
            #expect(try await broker.queueDepths() == [QueueDepth(queue: "a", ready: 2, unacked: 3), QueueDepth(queue: "b", ready: 1, unacked: 0)])
            try await broker.ack(deliveries.map(\.tag))
            try await broker.ack([DeliveryTag("unknown")])
            #expect(try await broker.queueDepths() == [QueueDepth(queue: "a", ready: 2, unacked: 0), QueueDepth(queue: "b", ready: 1, unacked: 0)])
        }
    }

    @Test func purgeDeletesOnlyReadyMessagesOfTheQueue() async throws {
        try await withBroker { broker, _ in
            for i in 0..<4 { try await broker.publish(bytes("a\(i)"), queue: "a", priority: 0) }
            try await broker.publish(bytes("b"), queue: "b", priority: 0)
            let held = try await broker.receive(from: ["a"], limit: 1, timeout: .zero)
            #expect(try await broker.purge(queue: "a") == 3)
            #expect(try await broker.purge(queue: "missing") == 0)
            #expect(try await broker.queueDepths() == [QueueDepth(queue: "a", ready: 0, unacked: 1), QueueDepth(queue: "b", ready: 1, unacked: 0)])
            try await broker.ack(held.map(\.tag))
        }
    }

    @Test func closedBrokerThrowsClosed() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let broker = try await SQLiteBroker(path: database.path)
        await broker.close()
        await broker.close()
        await #expect { try await broker.publish(bytes("x"), queue: "q", priority: 0) } throws: { error in
            (error as? CeleriacError)?.code == .closed
        }
    }

    @Test func closeWakesAWaitingReceiver() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let broker = try await SQLiteBroker(path: database.path, configuration: .init(pollInterval: .seconds(30)))
        let clock = ContinuousClock()
        let start = clock.now
        let waiting = Task { try await broker.receive(from: ["q"], limit: 1, timeout: .seconds(30)) }
        try await Task.sleep(for: .milliseconds(100))
        await broker.close()
        await #expect { try await waiting.value } throws: { error in (error as? CeleriacError)?.code == .closed }
        #expect(clock.now - start < .seconds(10))
    }

    @Test func reopeningKeepsMessagesAndSchema() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let first = try await SQLiteBroker(path: database.path)
        try await first.publish(bytes("kept"), queue: "q", priority: 0)
        await first.close()
        let second = try await SQLiteBroker(path: database.path)
        #expect(texts(try await second.receive(from: ["q"], limit: 1, timeout: .zero)) == ["kept"])
        let version = try await second.connection.perform { db in try db.integer("PRAGMA user_version") }
        #expect(version == SQLiteSchema.version)
        await second.close()
    }

    @Test func migratesAVersion1Database() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let old = try await SQLiteConnection.open(path: database.path, busyTimeout: .seconds(5), errorCode: .brokerFailure)
        try await old.perform { db in
            try db.execute(
                """
                CREATE TABLE celeriac_messages (
                    id INTEGER PRIMARY KEY, queue TEXT NOT NULL, priority INTEGER NOT NULL DEFAULT 0, tag TEXT NOT NULL UNIQUE,
                    envelope BLOB NOT NULL, state INTEGER NOT NULL DEFAULT 0, lease_until REAL,
                    redelivered INTEGER NOT NULL DEFAULT 0, published_at REAL NOT NULL);
                CREATE INDEX celeriac_messages_pickup ON celeriac_messages (queue, state, priority, id);
                INSERT INTO celeriac_messages (queue, tag, envelope, published_at) VALUES ('q', 'old-tag', X'6F6C64', 0);
                PRAGMA user_version = 1;
                """)
        }
        await old.close()
        let broker = try await SQLiteBroker(path: database.path)
        let deliveries = try await broker.receive(from: ["q"], limit: 5, timeout: .zero)
        #expect(texts(deliveries) == ["old"])
        #expect(deliveries.first?.tag == DeliveryTag("old-tag"))
        try await broker.ack(deliveries.map(\.tag))
        let bodies = try await broker.connection.perform { db in try db.integer("SELECT count(*) FROM celeriac_message_bodies") }
        #expect(bodies == 0)
        await broker.close()
    }

    @Test func refusesANewerSchema() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let broker = try await SQLiteBroker(path: database.path)
        try await broker.connection.perform { db in try db.execute("PRAGMA user_version = 99") }
        await broker.close()
        await #expect { try await SQLiteBroker(path: database.path) } throws: { error in
            (error as? CeleriacError)?.code == .brokerFailure
        }
    }
}
