import Celeriac
import Foundation
import Testing

@testable import CeleriacSQLite

@Suite struct SQLiteBrokerDeadLetterTests {
    private func letter(_ id: String, queue: String = "q", envelope: String, date: Date) -> DeadLetter {
        DeadLetter(id: id, queue: queue, taskID: "task-\(id)", taskName: "tasks.add", reason: "unknown task", envelope: bytes(envelope), date: date)
    }

    @Test func listShowAndDelete() async throws {
        try await withBroker { broker, _ in
            let now = Date(timeIntervalSince1970: 1_700_000_000.25)
            try await broker.deadLetter(letter("b", envelope: "second", date: now + 1))
            try await broker.deadLetter(letter("a", envelope: "first", date: now))
            try await broker.deadLetter(DeadLetter(id: "c", queue: "q", taskID: nil, taskName: nil, reason: "bad", envelope: [], date: now + 2))
            let all = try await broker.deadLetters(limit: 10)
            #expect(all.map(\.id) == ["a", "b", "c"])
            #expect(all[0] == letter("a", envelope: "first", date: now))
            #expect(all[2].taskID == nil && all[2].envelope.isEmpty)
            #expect(try await broker.deadLetters(limit: 1).map(\.id) == ["a"])
            #expect(try await broker.deadLetter(id: "b") == letter("b", envelope: "second", date: now + 1))
            #expect(try await broker.deadLetter(id: "missing") == nil)
            #expect(try await broker.deleteDeadLetter(id: "b"))
            #expect(try await broker.deleteDeadLetter(id: "b") == false)
            #expect(try await broker.deadLetters(limit: 10).map(\.id) == ["a", "c"])
        }
    }

    @Test func requeuePublishesAgainWithTheOriginalPriority() async throws {
        try await withBroker { broker, _ in
            try await broker.publish(bytes("bad"), queue: "q", priority: 7)
            let taken = try await broker.receive(from: ["q"], limit: 1, timeout: .zero)
            let tag = taken[0].tag.rawValue
            try await broker.deadLetter(letter(tag, envelope: "bad", date: Date()))
            try await broker.ack(taken.map(\.tag))
            try await broker.publish(bytes("later-p9"), queue: "q", priority: 9)
            try await broker.publish(bytes("later-p7"), queue: "q", priority: 7)

            #expect(try await broker.requeueDeadLetter(id: tag, queue: nil))
            #expect(try await broker.requeueDeadLetter(id: tag, queue: nil) == false)
            #expect(try await broker.deadLetters(limit: 10).isEmpty)
            let again = try await broker.receive(from: ["q"], limit: 3, timeout: .zero)
            #expect(texts(again) == ["later-p7", "bad", "later-p9"])
        }
    }

    @Test func requeueToAnotherQueue() async throws {
        try await withBroker { broker, _ in
            try await broker.deadLetter(letter("x", envelope: "moved", date: Date()))
            #expect(try await broker.requeueDeadLetter(id: "x", queue: "elsewhere"))
            #expect(texts(try await broker.receive(from: ["elsewhere"], limit: 1, timeout: .zero)) == ["moved"])
        }
    }

    @Test func revokedIDsAreListedInOrderOnce() async throws {
        try await withBroker { broker, _ in
            try await broker.revoke(["a", "b"])
            try await broker.revoke(["b", "c"])
            let all = try await broker.revokedTaskIDs(after: 0)
            #expect(all.ids == ["a", "b", "c"])
            try await broker.revoke(["d"])
            let later = try await broker.revokedTaskIDs(after: all.next)
            #expect(later.ids == ["d"])
            let none = try await broker.revokedTaskIDs(after: later.next)
            #expect(none.ids.isEmpty && none.next == later.next)
        }
    }
}
