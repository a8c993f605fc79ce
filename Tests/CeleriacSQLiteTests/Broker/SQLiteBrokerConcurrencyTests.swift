import Celeriac
import Foundation
import Testing

@testable import CeleriacSQLite

@Suite struct SQLiteBrokerConcurrencyTests {
    /// Receives and acks until nothing arrives for a while; returns the envelopes seen.
    private static func drain(_ broker: SQLiteBroker, queue: String) async throws -> [String] {
        var seen: [String] = []
        while true {
            let deliveries = try await broker.receive(from: [queue], limit: 7, timeout: .milliseconds(300))
            if deliveries.isEmpty { return seen }
            seen += texts(deliveries)
            try await broker.ack(deliveries.map(\.tag))
        }
    }

    @Test func concurrentReceiversOfOneBrokerGetEachMessageOnce() async throws {
        try await withBroker { broker, _ in
            let count = 2000
            try await broker.publish(batch: (0..<count).map { OutgoingEnvelope(envelope: bytes("m\($0)"), queue: "q", priority: $0 % 10) })
            let seen = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<4 { group.addTask { try await Self.drain(broker, queue: "q") } }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(seen.count == count)
            #expect(Set(seen).count == count)
            #expect(try await broker.queueDepths().isEmpty)
        }
    }

    @Test func twoBrokersOnOneFileGetEachMessageOnceWhilePublishing() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let publisher = try await SQLiteBroker(path: database.path)
        let first = try await SQLiteBroker(path: database.path)
        let second = try await SQLiteBroker(path: database.path)
        let count = 1500
        let seen = try await withThrowingTaskGroup(of: [String].self) { group in
            group.addTask {
                for chunk in stride(from: 0, to: count, by: 50) {
                    try await publisher.publish(
                        batch: (chunk..<chunk + 50).map { OutgoingEnvelope(envelope: bytes("m\($0)"), queue: "q", priority: 0) })
                    try await Task.sleep(for: .milliseconds(2))
                }
                return []
            }
            for broker in [first, second, first, second] { group.addTask { try await Self.drain(broker, queue: "q") } }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(seen.count == count)
        #expect(Set(seen).count == count)
        for broker in [publisher, first, second] { await broker.close() }
    }

    @Test func concurrentOpensOfAFreshFileCreateTheSchemaOnce() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let brokers = try await withThrowingTaskGroup(of: SQLiteBroker.self) { group in
            for _ in 0..<4 { group.addTask { try await SQLiteBroker(path: database.path) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for (index, broker) in brokers.enumerated() { try await broker.publish(bytes("m\(index)"), queue: "q", priority: 0) }
        #expect(try await brokers[0].queueDepths() == [QueueDepth(queue: "q", ready: 4, unacked: 0)])
        for broker in brokers { await broker.close() }
    }

    @Test func receiveWakesPromptlyWhenAnotherBrokerPublishes() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        // A long poll interval: only the wake-up can deliver the message quickly.
        let receiver = try await SQLiteBroker(path: database.path, configuration: .init(pollInterval: .seconds(10)))
        let publisher = try await SQLiteBroker(path: database.path)
        let clock = ContinuousClock()
        async let received = receiver.receive(from: ["q"], limit: 1, timeout: .seconds(10))
        try await Task.sleep(for: .milliseconds(200))
        let start = clock.now
        try await publisher.publish(bytes("ping"), queue: "q", priority: 0)
        let deliveries = try await received
        let latency = clock.now - start
        print("SQLiteBroker in-process wake-up latency: \(latency)")
        #expect(texts(deliveries) == ["ping"])
        #expect(latency < .seconds(5))  // well under the 10 s poll: the wake-up worked
        await receiver.close()
        await publisher.close()
    }

    #if canImport(Glibc)
    @Test func receiveWakesThroughInotifyWhenAnotherProcessRings() async throws {
        let database = TemporaryDatabase()
        defer { database.remove() }
        let receiver = try await SQLiteBroker(path: database.path, configuration: .init(pollInterval: .seconds(10)))
        // A bare connection writes and rings the notify file like another process would: no in-process signal.
        let other = try await SQLiteConnection.open(path: database.path, busyTimeout: .seconds(5), errorCode: .brokerFailure)
        let clock = ContinuousClock()
        async let received = receiver.receive(from: ["q"], limit: 1, timeout: .seconds(10))
        try await Task.sleep(for: .milliseconds(200))
        let start = clock.now
        try await other.perform { db in
            try SQLiteBroker.insert(db, envelope: bytes("ping"), queue: "q", priority: 0, redelivered: false, now: SQLitePath.now())
        }
        SQLiteNotifyFile(path: SQLitePath.canonical(database.path) + "-notify-messages").ring()
        let deliveries = try await received
        let latency = clock.now - start
        print("SQLiteBroker inotify wake-up latency: \(latency)")
        #expect(texts(deliveries) == ["ping"])
        #expect(latency < .seconds(5))  // well under the 10 s poll: inotify woke it
        await other.close()
        await receiver.close()
    }
    #endif

    @Test func publishReceiveAckThroughput() async throws {
        try await withBroker { broker, _ in
            let count = 20_000
            let envelope = bytes(String(repeating: "x", count: 600))
            let clock = ContinuousClock()
            let publishStart = clock.now
            for chunk in stride(from: 0, to: count, by: 500) {
                try await broker.publish(batch: (chunk..<chunk + 500).map { _ in OutgoingEnvelope(envelope: envelope, queue: "q", priority: 0) })
            }
            let published = clock.now - publishStart
            let drainStart = clock.now
            var received = 0
            while received < count {
                let deliveries = try await broker.receive(from: ["q"], limit: 100, timeout: .seconds(1))
                if deliveries.isEmpty { break }
                received += deliveries.count
                try await broker.ack(deliveries.map(\.tag))
            }
            let drained = clock.now - drainStart
            let publishRate = Double(count) / published.seconds
            let drainRate = Double(received) / drained.seconds
            #if DEBUG
            let build = "debug"
            #else
            let build = "release"
            #endif
            print(
                "SQLiteBroker (\(build) build): published \(count) in \(published) (\(Int(publishRate))/s), received+acked in \(drained) (\(Int(drainRate))/s)"
            )
            #expect(received == count)
        }
    }
}
