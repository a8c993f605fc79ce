/// A Celery task message, protocol v2: headers, properties and the body `[args, kwargs, embed]`.
///
/// This is the one message format Celeriac sends and receives on every broker. Decode it from a kombu
/// envelope with ``TaskMessage/init(envelope:)`` and encode it with ``TaskMessage/envelope()``
/// (see `TaskMessage+Envelope.swift`). Protocol v1 messages are accepted on input and converted.
public struct TaskMessage: Sendable, Hashable {
    /// The message headers (`lang`, `task`, `id`, `eta`, ...).
    public var headers: TaskHeaders
    /// The message properties (`correlation_id`, `reply_to`, `delivery_info`, `priority`, ...).
    public var properties: MessageProperties
    /// Positional arguments.
    public var args: [JSONValue]
    /// Keyword arguments, in order.
    public var kwargs: JSONObject
    /// Callbacks, errbacks, chain and chord (the body's third element).
    public var embed: TaskEmbed
    /// The content type; always `application/json` for messages Celeriac accepts.
    public var contentType: String
    /// The content encoding; `utf-8`.
    public var contentEncoding: String

    /// Creates a message.
    public init(
        headers: TaskHeaders, properties: MessageProperties, args: [JSONValue] = [], kwargs: JSONObject = [:],
        embed: TaskEmbed = TaskEmbed(), contentType: String = "application/json", contentEncoding: String = "utf-8"
    ) {
        self.headers = headers
        self.properties = properties
        self.args = args
        self.kwargs = kwargs
        self.embed = embed
        self.contentType = contentType
        self.contentEncoding = contentEncoding
    }
}

/// Task protocol v2 headers (`celery/app/amqp.py:AMQP.as_task_v2`).
public struct TaskHeaders: Sendable, Hashable {
    /// `"py"` from Python; Celeriac sends `"py"` too, since Python workers ignore it.
    public var lang: String = "py"
    /// The registered task name.
    public var task: String
    /// The task id (a UUID string).
    public var id: String
    /// An alternative display name.
    public var shadow: String?
    /// ISO 8601 text with offset, as on the wire (`"2026-11-26T03:40:25.067118+00:00"`).
    public var eta: String?
    /// ISO 8601 text with offset, as on the wire.
    public var expires: String?
    /// The group id.
    public var group: String?
    /// The position in the group.
    public var groupIndex: Int?
    /// How many times the task was retried.
    public var retries: Int = 0
    /// `[hard, soft]` time limits in seconds.
    public var timeLimit: Double?
    /// The soft time limit in seconds (second element of `timelimit`).
    public var softTimeLimit: Double?
    /// The id of the first task of the workflow.
    public var rootID: String?
    /// The id of the task that sent this one.
    public var parentID: String?
    /// Python repr of the args.
    public var argsrepr: String?
    /// Python repr of the kwargs.
    public var kwargsrepr: String?
    /// `gen<pid>@<hostname>` of the sender.
    public var origin: String?
    /// Whether the result is not stored; `nil` when the sender did not say (`send_task`).
    public var ignoreResult: Bool?
    /// Celery's `replaced_task_nesting`.
    public var replacedTaskNesting: Int = 0
    /// Celery's `stamped_headers`.
    public var stampedHeaders: JSONValue = .null
    /// Celery's `stamps`.
    public var stamps: JSONObject = [:]
    /// Set by a worker on a restored message.
    public var redelivered: Bool?
    /// Headers not listed above, kept in order so they survive a round trip.
    public var extra: JSONObject = [:]

    /// Creates headers for a task call; `rootID` defaults to `id`.
    public init(task: String, id: String) {
        self.task = task
        self.id = id
        self.rootID = id
    }
}

/// Message properties (kombu's).
public struct MessageProperties: Sendable, Hashable {
    /// The task id, for replies.
    public var correlationID: String?
    /// The reply queue (`rpc://`); a uuid3 string unused on Redis.
    public var replyTo: String?
    /// 2 is persistent, 1 transient.
    public var deliveryMode: Int = 2
    /// Milliseconds as a string; only set with `expires`.
    public var expiration: String?
    /// The exchange the message was published to (`""` for the default exchange).
    public var exchange: String = ""
    /// The routing key: the queue name on the default exchange.
    public var routingKey: String = "celery"
    /// Set when a restored message is redelivered (in `delivery_info`).
    public var redelivered: Bool?
    /// Celery's priority 0-9.
    public var priority: Int = 0
    /// `base64` for kombu's virtual transports.
    public var bodyEncoding: String = "base64"
    /// A fresh UUID per publish.
    public var deliveryTag: String?
    /// Properties not listed above, kept in order.
    public var extra: JSONObject = [:]

    /// Creates properties with defaults.
    public init() {}
}

/// The body's third element: what runs after the task (`{"callbacks", "errbacks", "chain", "chord"}`).
public struct TaskEmbed: Sendable, Hashable {
    /// Signatures applied with the result (`link`).
    public var callbacks: [JSONValue]?
    /// Signatures applied on failure (`link_error`).
    public var errbacks: [JSONValue]?
    /// The rest of a chain, in reverse order (next task last).
    public var chain: [JSONValue]?
    /// The chord body signature.
    public var chord: JSONValue?
    /// Keys not listed above, kept in order.
    public var extra: JSONObject = [:]

    /// Creates an embed.
    public init(callbacks: [JSONValue]? = nil, errbacks: [JSONValue]? = nil, chain: [JSONValue]? = nil, chord: JSONValue? = nil) {
        self.callbacks = callbacks
        self.errbacks = errbacks
        self.chain = chain
        self.chord = chord
    }
}
