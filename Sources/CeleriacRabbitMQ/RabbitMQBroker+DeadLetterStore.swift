import Celeriac
import CeleriacAMQP
import Foundation
import NIOCore

extension RabbitMQBroker: DeadLetterStore {
    /// The durable queue (and direct exchange of the same name) holding dead letters. Python Celery never
    /// declares or reads it.
    public static let deadLetterQueue = "celeriac.dead-letters"

    /// The header (an AMQP table) a dead letter carries next to the original message's own headers: `id`,
    /// `queue`, `reason`, `task_id`, `task_name`, `date` (seconds since 1970), `exchange` and `routing_key` of
    /// the original delivery. It is removed again when the dead letter is read or requeued.
    public static let deadLetterHeader = "x-celeriac-dead-letter"

    /// Stores a dead letter as a persistent message on ``deadLetterQueue``: the original body and properties
    /// (so `rabbitmqctl`/the management UI show the real message) plus the ``deadLetterHeader`` table with why.
    /// Waits for RabbitMQ's confirm when publisher confirms are on, so the worker acks the original only after
    /// the copy is stored.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/brokerFailure``) when RabbitMQ fails.
    public func deadLetter(_ entry: DeadLetter) async throws {
        try checkOpen()
        let original = Self.originalMessage(entry.envelope)
        var properties = original.properties
        var headers = properties.headers ?? [:]
        var record: [(String, AMQPFieldValue)] = [
            ("id", .string(entry.id)), ("queue", .string(entry.queue)), ("reason", .string(entry.reason)),
            ("task_id", entry.taskID.map(AMQPFieldValue.string) ?? .void),
            ("task_name", entry.taskName.map(AMQPFieldValue.string) ?? .void),
            ("date", .double(entry.date.timeIntervalSince1970)),
            ("exchange", .string(original.exchange)), ("routing_key", .string(original.routingKey)),
        ]
        if original.rawEnvelope { record.append(("raw_envelope", .bool(true))) }
        headers.fields.removeAll { $0.key == Self.deadLetterHeader }
        headers.fields.append(.init(key: Self.deadLetterHeader, value: .table(AMQPTable(fields: record.map { .init(key: $0.0, value: $0.1) }))))
        properties.headers = headers
        properties.deliveryMode = 2
        do {
            let channel = try await publisher()
            try await declareDeadLetterTopology(on: channel)
            try await channel.publish(ByteBuffer(bytes: original.body), exchange: "", routingKey: Self.deadLetterQueue, properties: properties)
        } catch {
            await dropPublisher()
            throw Self.failure("storing a dead letter", error)
        }
    }

    /// Lists dead letters, oldest first, without removing them: each is fetched unacknowledged (`basic.get`) on a
    /// private channel whose closing puts them all back in their places.
    /// - Parameter limit: the most to return.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/brokerFailure``) when RabbitMQ fails.
    public func deadLetters(limit: Int) async throws -> [DeadLetter] {
        guard limit > 0 else { return [] }
        var letters: [DeadLetter] = []
        try await browseDeadLetters("listing dead letters") { _, letter in
            letters.append(letter)
            return letters.count < limit
        }
        return letters
    }

    /// One dead letter by its id, or `nil`; scans the queue as ``deadLetters(limit:)`` does.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/brokerFailure``) when RabbitMQ fails.
    public func deadLetter(id: String) async throws -> DeadLetter? {
        var found: DeadLetter?
        try await browseDeadLetters("reading a dead letter") { _, letter in
            if letter.id == id { found = letter }
            return found == nil
        }
        return found
    }

    /// Publishes a dead letter's message again to its queue (or `queue`), then acknowledges it off
    /// ``deadLetterQueue``: if anything fails in between, the dead letter stays (a retry may publish it twice).
    /// - Returns: `false` when there is no dead letter with that id.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/brokerFailure``) when RabbitMQ fails.
    public func requeueDeadLetter(id: String, queue: String?) async throws -> Bool {
        var done = false
        try await browseDeadLetters("requeueing a dead letter") { delivery, letter in
            guard letter.id == id else { return true }
            try await self.publish(letter.envelope, queue: queue ?? letter.queue, priority: 0)
            try await delivery.ack()
            done = true
            return false
        }
        return done
    }

    /// Deletes a dead letter (acknowledges it off ``deadLetterQueue``).
    /// - Returns: `false` when there is no dead letter with that id.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/brokerFailure``) when RabbitMQ fails.
    public func deleteDeadLetter(id: String) async throws -> Bool {
        var done = false
        try await browseDeadLetters("deleting a dead letter") { delivery, letter in
            guard letter.id == id else { return true }
            try await delivery.ack()
            done = true
            return false
        }
        return done
    }

    // MARK: Helpers

    /// Declares the dead-letter exchange, queue and binding (Celery's shape for a queue: a durable direct exchange
    /// of the same name).
    func declareDeadLetterTopology(on channel: AMQPChannel) async throws {
        try await channel.declareExchange(Self.deadLetterQueue, type: "direct", durable: true)
        try await channel.declareQueue(Self.deadLetterQueue, durable: true)
        try await channel.bindQueue(Self.deadLetterQueue, to: Self.deadLetterQueue, routingKey: Self.deadLetterQueue)
    }

    /// Fetches dead letters one by one, unacknowledged, on a private channel, handing each to `visit` until it
    /// returns `false` or the queue is exhausted; closing the channel then puts back every one not acknowledged,
    /// in its place. Messages on the queue that are not dead letters (no ``deadLetterHeader``) are skipped.
    func browseDeadLetters(_ what: String, _ visit: (AMQPDelivery, DeadLetter) async throws -> Bool) async throws {
        try checkOpen()
        var channel: AMQPChannel?
        do {
            let connection = try await connect()
            let browser = try await connection.openChannel()
            channel = browser
            try await declareDeadLetterTopology(on: browser)
            while let fetched = try await browser.get(queue: Self.deadLetterQueue, noAck: false) {
                guard let letter = Self.deadLetter(from: fetched.delivery) else { continue }
                if try await !visit(fetched.delivery, letter) { break }
            }
        } catch {
            await channel?.close()
            throw Self.failure(what, error)
        }
        await channel?.close()
    }

    /// A dead letter from a message of ``deadLetterQueue``, the envelope rebuilt as the worker received it.
    static func deadLetter(from delivery: AMQPDelivery) -> DeadLetter? {
        var properties = delivery.properties
        guard var headers = properties.headers,
            let index = headers.fields.firstIndex(where: { $0.key == deadLetterHeader }),
            case .table(let table) = headers.fields[index].value
        else { return nil }
        headers.fields.remove(at: index)
        properties.headers = headers
        let record = table.jsonObject
        let id = record["id"]?.stringValue ?? "\(delivery.deliveryTag)"
        let queue = record["queue"]?.stringValue ?? ""
        let body = Array(delivery.body.readableBytesView)
        let envelope: [UInt8]
        if record["raw_envelope"]?.boolValue == true {
            envelope = body
        } else {
            envelope = RabbitMQMessageCodec.envelope(
                body: body, properties: properties, exchange: record["exchange"]?.stringValue ?? "",
                routingKey: record["routing_key"]?.stringValue ?? queue, redelivered: false, deliveryTag: id)
        }
        return DeadLetter(
            id: id, queue: queue, taskID: record["task_id"]?.stringValue, taskName: record["task_name"]?.stringValue,
            reason: record["reason"]?.stringValue ?? "", envelope: envelope,
            date: Date(timeIntervalSince1970: record["date"]?.doubleValue ?? 0))
    }

    /// The AMQP message a kombu envelope came from. An envelope that is not one (a dead letter from another
    /// broker) is kept whole as the body, flagged `raw_envelope`.
    static func originalMessage(_ envelope: [UInt8]) -> (body: [UInt8], properties: AMQPProperties, exchange: String, routingKey: String, rawEnvelope: Bool) {
        guard let (body, properties) = try? RabbitMQMessageCodec.message(fromEnvelope: envelope, priority: 0) else {
            var properties = AMQPProperties()
            properties.contentType = "application/json"
            return (envelope, properties, "", "", true)
        }
        let info = (try? JSONValue.parse(envelope))?.objectValue?["properties"]?.objectValue?["delivery_info"]?.objectValue
        return (body, properties, info?["exchange"]?.stringValue ?? "", info?["routing_key"]?.stringValue ?? "", false)
    }
}
