import Foundation

/// A remote-control request from Celery's pidbox (`kombu/pidbox.py:Mailbox._broadcast`): a method name, its
/// arguments, the nodes it is for, and where replies go.
public struct ControlRequest: Sendable, Hashable {
    /// `ping`, `stats`, `revoke`, ...
    public var method: String
    /// The method's keyword arguments.
    public var arguments: JSONObject
    /// The node names it is for; `nil` for every node.
    public var destination: [String]?
    /// The reply ticket; `nil` for a cast that wants no reply.
    public var ticket: String?
    /// The reply address: exchange (`reply.celery.pidbox`) and routing key (the client's id).
    public var replyTo: (exchange: String, routingKey: String)?

    /// Creates a request.
    public init(method: String, arguments: JSONObject = [:], destination: [String]? = nil, ticket: String? = nil, replyTo: (exchange: String, routingKey: String)? = nil) {
        self.method = method
        self.arguments = arguments
        self.destination = destination
        self.ticket = ticket
        self.replyTo = replyTo
    }

    /// Whether the node named `hostname` should run it (kombu's `Node.handle_message`: a destination list
    /// names the nodes; without one every node runs it).
    public func isFor(_ hostname: String) -> Bool {
        destination.map { $0.contains(hostname) } ?? true
    }

    /// The request body, as kombu writes it (`ticket` and `reply_to` only when a reply is wanted).
    public func body() -> JSONObject {
        var body: JSONObject = [
            "method": .string(method), "arguments": .object(arguments),
            "destination": destination.map { .array($0.map(JSONValue.string)) } ?? .null, "pattern": .null, "matcher": .null,
        ]
        if let ticket, let replyTo {
            body["ticket"] = .string(ticket)
            body["reply_to"] = .object(["exchange": .string(replyTo.exchange), "routing_key": .string(replyTo.routingKey)])
        }
        return body
    }

    /// Reads a request body.
    /// - Throws: ``CeleriacError`` (``CeleriacError/Code/malformedMessage``) without a `method`.
    public init(body: JSONObject) throws(CeleriacError) {
        guard let method = body["method"]?.stringValue else {
            throw CeleriacError(.malformedMessage, "the control message has no method")
        }
        self.method = method
        self.arguments = body["arguments"]?.objectValue ?? [:]
        self.destination = body["destination"]?.arrayValue?.compactMap(\.stringValue)
        self.ticket = body["ticket"]?.stringValue
        if let reply = body["reply_to"]?.objectValue, let exchange = reply["exchange"]?.stringValue, let key = reply["routing_key"]?.stringValue {
            self.replyTo = (exchange, key)
        }
    }

    public static func == (lhs: ControlRequest, rhs: ControlRequest) -> Bool {
        JSONValue.object(lhs.body()) == JSONValue.object(rhs.body())
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(JSONValue.object(body()))
    }
}
