import Foundation

/// Sends remote-control commands to workers, Celery's and Celeriac's alike (`app.control` /
/// `app.control.inspect()`), and collects their replies.
///
/// ```swift
/// guard let transport = broker as? any ControlTransport else { return }   // Redis brokers are
/// let client = ControlClient(transport: transport)
/// let pongs = try await client.call("ping")              // [("w1@host", {"ok": "pong"})]
/// try await client.call("revoke", arguments: ["task_id": "…", "terminate": true], reply: false)
/// ```
public struct ControlClient: Sendable {
    /// The transport requests and replies travel on.
    public let transport: any ControlTransport

    /// Creates a client.
    public init(transport: any ControlTransport) {
        self.transport = transport
    }

    /// One node's reply.
    public struct Reply: Sendable, Hashable {
        /// The node name.
        public var hostname: String
        /// What it replied.
        public var value: JSONValue
    }

    /// Broadcasts a command and collects replies until `timeout` or `limit` replies.
    /// - Parameters:
    ///   - method: the command (`ping`, `stats`, `revoke`, ...).
    ///   - arguments: its keyword arguments.
    ///   - destination: the node names it is for; every node by default.
    ///   - timeout: how long to wait for replies (Celery's default is 1 s).
    ///   - limit: stop after this many replies (the destination's size by default).
    ///   - reply: `false` sends without waiting (a cast).
    /// - Returns: the replies in arrival order.
    @discardableResult
    public func call(
        _ method: String, arguments: JSONObject = [:], destination: [String]? = nil, timeout: Duration = .seconds(1),
        limit: Int? = nil, reply: Bool = true
    ) async throws -> [Reply] {
        let timeoutSeconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        guard reply else {
            let request = ControlRequest(method: method, arguments: arguments, destination: destination)
            try await transport.broadcastControl(ControlEnvelope.request(request, clock: 0, timeout: timeoutSeconds))
            return []
        }
        let routingKey = RandomID.uuid4()
        let ticket = RandomID.uuid4()
        let request = ControlRequest(
            method: method, arguments: arguments, destination: destination, ticket: ticket,
            replyTo: (ControlEnvelope.replyExchange, routingKey))
        try await transport.openControlReplies(routingKey: routingKey)
        var replies: [Reply] = []
        do {
            try await transport.broadcastControl(ControlEnvelope.request(request, clock: 0, timeout: timeoutSeconds))
            let clock = ContinuousClock()
            let deadline = clock.now + timeout
            let wanted = limit ?? destination?.count
            while clock.now < deadline, wanted.map({ replies.count < $0 }) ?? true {
                guard let envelope = try await transport.nextControlReply(routingKey: routingKey, timeout: deadline - clock.now) else { break }
                guard let (body, headers) = try? ControlEnvelope.decode(envelope), headers["ticket"]?.stringValue == ticket,
                    let object = body.objectValue
                else { continue }
                for (hostname, value) in object { replies.append(Reply(hostname: hostname, value: value)) }
            }
        } catch {
            try? await transport.closeControlReplies(routingKey: routingKey)
            throw error
        }
        try await transport.closeControlReplies(routingKey: routingKey)
        return replies
    }
}
