import Celeriac
import Testing

@testable import CeleriacSQLite

@Suite struct SQLiteBrokerLeaseTests {
    @Test func expiredLeasesAreRestoredToTheFrontAsRedelivered() async throws {
        try await withBroker(.init(visibilityTimeout: .seconds(1), restoreInterval: .seconds(3600))) { broker, _ in
            for i in 0..<3 { try await broker.publish(bytes("m\(i)"), queue: "q", priority: 0) }
            let first = try await broker.receive(from: ["q"], limit: 1, timeout: .zero)
            #expect(try await broker.restoreExpiredLeases() == 0)
            try await Task.sleep(for: .milliseconds(1300))
            #expect(try await broker.restoreExpiredLeases() == 1)
            let again = try await broker.receive(from: ["q"], limit: 3, timeout: .zero)
            #expect(texts(again) == ["m0", "m1", "m2"])
            #expect(again.map(\.redelivered) == [true, false, false])
            #expect(again.first?.tag == first.first?.tag)
        }
    }

    @Test func receiveRestoresExpiredLeasesByItself() async throws {
        try await withBroker(.init(visibilityTimeout: .milliseconds(100), pollInterval: .milliseconds(50), restoreInterval: .zero)) { broker, _ in
            try await broker.publish(bytes("m"), queue: "q", priority: 0)
            let first = try await broker.receive(from: ["q"], limit: 1, timeout: .zero)
            #expect(texts(first) == ["m"])
            let again = try await broker.receive(from: ["q"], limit: 1, timeout: .seconds(5))
            #expect(texts(again) == ["m"])
            #expect(again.first?.redelivered == true)
        }
    }

    @Test func extendedLeasesAreNotRestored() async throws {
        try await withBroker(.init(visibilityTimeout: .seconds(2), restoreInterval: .seconds(3600))) { broker, _ in
            try await broker.publish(bytes("held"), queue: "q", priority: 0)
            try await broker.publish(bytes("lost"), queue: "q", priority: 0)
            let deliveries = try await broker.receive(from: ["q"], limit: 2, timeout: .zero)
            try await Task.sleep(for: .milliseconds(1200))
            try await broker.extendLeases([deliveries[0].tag])
            try await Task.sleep(for: .milliseconds(1200))
            #expect(try await broker.restoreExpiredLeases() == 1)
            #expect(try await broker.queueDepths() == [QueueDepth(queue: "q", ready: 1, unacked: 1)])
            #expect(texts(try await broker.receive(from: ["q"], limit: 2, timeout: .zero)) == ["lost"])
        }
    }

    @Test func giveBackPutsMessagesAtTheFrontAsRedelivered() async throws {
        try await withBroker { broker, _ in
            for i in 0..<4 { try await broker.publish(bytes("m\(i)"), queue: "q", priority: 0) }
            let taken = try await broker.receive(from: ["q"], limit: 2, timeout: .zero)
            try await broker.giveBack(taken.map(\.tag))
            let again = try await broker.receive(from: ["q"], limit: 4, timeout: .zero)
            #expect(texts(again) == ["m0", "m1", "m2", "m3"])
            #expect(again.map(\.redelivered) == [true, true, false, false])
        }
    }

    @Test func rejectWithRequeueGoesToTheBack() async throws {
        try await withBroker { broker, _ in
            for i in 0..<3 { try await broker.publish(bytes("m\(i)"), queue: "q", priority: 0) }
            let taken = try await broker.receive(from: ["q"], limit: 1, timeout: .zero)
            try await broker.reject(taken[0].tag, requeue: true)
            let again = try await broker.receive(from: ["q"], limit: 3, timeout: .zero)
            #expect(texts(again) == ["m1", "m2", "m0"])
            #expect(again.map(\.redelivered) == [false, false, true])
            #expect(again[2].tag != taken[0].tag)
        }
    }

    @Test func rejectWithoutRequeueDrops() async throws {
        try await withBroker { broker, _ in
            try await broker.publish(bytes("m"), queue: "q", priority: 0)
            let taken = try await broker.receive(from: ["q"], limit: 1, timeout: .zero)
            try await broker.reject(taken[0].tag, requeue: false)
            try await broker.reject(DeliveryTag("unknown"), requeue: true)
            #expect(try await broker.queueDepths().isEmpty)
        }
    }

    @Test func ackOfAMessageGivenBackStillDeletesIt() async throws {
        try await withBroker { broker, _ in
            try await broker.publish(bytes("m"), queue: "q", priority: 0)
            let taken = try await broker.receive(from: ["q"], limit: 1, timeout: .zero)
            try await broker.giveBack(taken.map(\.tag))
            try await broker.ack(taken.map(\.tag))
            #expect(try await broker.queueDepths().isEmpty)
        }
    }
}
