import Celeriac
import CeleriacTesting
import Foundation
import Logging
import Testing

@Suite("CeleriacApp: building messages")
struct MakeMessageTests {
    struct Add: TaskArguments {
        static let parameterNames = ["x", "y"]
        var x: Int
        var y: Int
    }

    static let add = TaskName<Add, Int>("tests.add")

    static func app(_ configure: (inout CeleriacConfiguration) -> Void = { _ in }) -> (CeleriacApp, InMemoryBroker) {
        var configuration = CeleriacConfiguration()
        configure(&configuration)
        let broker = InMemoryBroker()
        let app = CeleriacApp(configuration: configuration, broker: broker, backend: InMemoryResultBackend(), logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
        return (app, broker)
    }

    /// The only published envelope, decoded, with its raw headers.
    static func sent(_ broker: InMemoryBroker) throws -> (TaskMessage, headers: JSONObject, queue: String) {
        let published = try #require(broker.published.last)
        let raw = try JSONValue.parse(published.envelope)
        let headers = try #require(raw.objectValue?["headers"]?.objectValue)
        return (try published.message(), headers, published.queue)
    }

    /// Python's `isoformat()` of an aware UTC datetime.
    static func isCeleryTimestamp(_ text: String) -> Bool {
        text.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00/) != nil
    }

    @Test func typedCallHeadersAndProperties() async throws {
        let (app, broker) = Self.app()
        let result = try await app.delay(Self.add, Add(x: 2, y: 3))
        let (message, headers, queue) = try Self.sent(broker)
        #expect(queue == "celery")
        #expect(message.headers.id == result.id)
        #expect(message.headers.task == "tests.add")
        #expect(message.headers.lang == "py")
        #expect(message.headers.argsrepr == "(2, 3)")
        #expect(message.headers.kwargsrepr == "{}")
        #expect(message.headers.rootID == result.id)
        #expect(message.headers.parentID == nil)
        #expect(message.headers.retries == 0)
        #expect(message.headers.eta == nil)
        #expect(message.headers.expires == nil)
        #expect(message.headers.origin == app.origin)
        #expect(headers["ignore_result"] == .bool(false))
        #expect(headers["timelimit"] == [nil, nil])
        #expect(message.args == [2, 3])
        #expect(message.kwargs.isEmpty)
        #expect(message.properties.correlationID == result.id)
        #expect(message.properties.replyTo == app.oid)
        #expect(message.properties.routingKey == "celery")
        #expect(message.properties.exchange == "")
        #expect(message.properties.priority == 0)
        #expect(message.properties.expiration == nil)
        #expect(message.properties.deliveryTag != nil)
        #expect(message.properties.bodyEncoding == "base64")
        #expect(message.contentType == "application/json")
    }

    @Test func sendByNameLeavesIgnoreResultNull() async throws {
        let (app, broker) = Self.app()
        try await app.send(name: "py.only", args: [1], kwargs: ["y": 3])
        let (message, headers, _) = try Self.sent(broker)
        #expect(headers["ignore_result"] == .null)
        #expect(message.headers.ignoreResult == nil)
        #expect(message.headers.argsrepr == "[1]")
        #expect(message.headers.kwargsrepr == "{'y': 3}")
    }

    @Test func makeMessageIgnoreResultRules() {
        let (app, _) = Self.app()
        #expect(app.makeMessage(name: "t", args: [], kwargs: [:], options: CallOptions()).0.headers.ignoreResult == false)
        #expect(app.makeMessage(name: "t", args: [], kwargs: [:], options: CallOptions(), explicitIgnoreResult: false).0.headers.ignoreResult == nil)
        #expect(app.makeMessage(name: "t", args: [], kwargs: [:], options: CallOptions(ignoreResult: true), explicitIgnoreResult: false).0.headers.ignoreResult == true)
        app.registry.register(name: "quiet", options: TaskOptions(ignoreResult: true)) { _, _, _ in .null }
        #expect(app.makeMessage(name: "quiet", args: [], kwargs: [:], options: CallOptions()).0.headers.ignoreResult == true)
    }

    @Test func countdownBecomesAnETA() async throws {
        let (app, broker) = Self.app()
        let before = Date()
        try await app.applyAsync(Self.add, Add(x: 1, y: 1), options: CallOptions(countdown: 10))
        let (message, _, _) = try Self.sent(broker)
        let text = try #require(message.headers.eta)
        #expect(Self.isCeleryTimestamp(text), "\(text)")
        let eta = try #require(CeleryTimestamp.parse(text))
        #expect(eta.timeIntervalSince(before) >= 9.99)
        #expect(eta.timeIntervalSinceNow <= 10.01)
        #expect(message.properties.expiration == nil)
    }

    @Test func explicitETAWinsOverCountdown() {
        let (app, _) = Self.app()
        let eta = Date(timeIntervalSince1970: 1_893_499_200)  // 2030-01-01T12:00:00Z
        let (message, _) = app.makeMessage(name: "t", args: [], kwargs: [:], options: CallOptions(countdown: 5, eta: eta))
        #expect(message.headers.eta == "2030-01-01T12:00:00+00:00")
    }

    @Test func expiresInSecondsSetsHeaderAndExpiration() async throws {
        let (app, broker) = Self.app()
        let before = Date()
        try await app.applyAsync(Self.add, Add(x: 1, y: 1), options: CallOptions(expires: .seconds(60)))
        let (message, _, _) = try Self.sent(broker)
        let text = try #require(message.headers.expires)
        #expect(Self.isCeleryTimestamp(text), "\(text)")
        let expires = try #require(CeleryTimestamp.parse(text))
        #expect(expires.timeIntervalSince(before) >= 59.99)
        #expect(expires.timeIntervalSinceNow <= 60.01)
        #expect(message.properties.expiration == "60000")
    }

    @Test func expiresAtADateSetsExpirationInMilliseconds() throws {
        let (app, _) = Self.app()
        let (message, _) = app.makeMessage(name: "t", args: [], kwargs: [:], options: CallOptions(expires: .date(Date(timeIntervalSinceNow: 30))))
        let expiration = try #require(message.properties.expiration.flatMap { Int($0) })
        #expect((29_000...30_000).contains(expiration))
        let past = app.makeMessage(name: "t", args: [], kwargs: [:], options: CallOptions(expires: .date(Date(timeIntervalSinceNow: -30)))).0
        #expect(past.properties.expiration == "0")
    }

    @Test func taskOptionExpiresIsTheDefault() throws {
        let (app, _) = Self.app()
        app.registry.register(name: "short", options: TaskOptions(expires: 5)) { _, _, _ in .null }
        let (message, _) = app.makeMessage(name: "short", args: [], kwargs: [:], options: CallOptions())
        #expect(message.properties.expiration == "5000")
        #expect(message.headers.expires != nil)
    }

    @Test(arguments: [4, 9, 0])
    func priorityInRangeIsSent(priority: Int) async throws {
        let (app, broker) = Self.app()
        try await app.applyAsync(Self.add, Add(x: 1, y: 1), options: CallOptions(priority: priority))
        let (message, _, _) = try Self.sent(broker)
        #expect(message.properties.priority == priority)
        #expect(broker.published.last?.priority == priority)
    }

    @Test(arguments: [15, 10, -1, -3])
    func priorityOutOfRangeIsAClearErrorAndNothingIsSent(priority: Int) async throws {
        let (app, broker) = Self.app()
        var options = CallOptions(priority: priority)
        options.taskID = "bad-priority"
        let typed = await #expect(throws: CeleriacError.self) { try await app.applyAsync(Self.add, Add(x: 1, y: 1), options: options) }
        #expect(typed?.code == .badArguments)
        #expect(typed?.message.contains("the call's priority is \(priority)") == true, "\(String(describing: typed))")
        #expect(typed?.message.contains("from 0 to 9") == true)
        #expect(typed?.taskName == "tests.add")
        #expect(typed?.taskID == "bad-priority")
        let byName = await #expect(throws: CeleriacError.self) { try await app.send(name: "py.only", options: CallOptions(priority: priority)) }
        #expect(byName?.code == .badArguments)
        try await app.delay(Self.add, Add(x: 1, y: 1))
        #expect(broker.published.count == 1, "only the valid delay() was sent")
    }

    @Test func taskOptionPriorityOutOfRangeIsRefusedToo() async throws {
        let (app, broker) = Self.app()
        app.registry.register(name: "loud", options: TaskOptions(priority: 12)) { _, _, _ in .null }
        let error = await #expect(throws: CeleriacError.self) { try await app.send(name: "loud") }
        #expect(error?.message.contains("TaskOptions.priority is 12") == true, "\(String(describing: error))")
        #expect(broker.published.isEmpty)
        // A valid per-call priority overrides the task's.
        try await app.send(name: "loud", options: CallOptions(priority: 3))
        #expect(broker.published.last?.priority == 3)
    }

    /// Messages built from canvas signatures (possibly from Python, where a priority may be up to 255 on
    /// RabbitMQ) and by workers are not refused: ``CeleriacApp/makeMessage`` clamps.
    @Test func makeMessageClampsForSignatures() {
        let (app, _) = Self.app()
        #expect(app.makeMessage(name: "t", args: [], kwargs: [:], options: CallOptions(priority: 255)).0.properties.priority == 9)
        #expect(app.makeMessage(name: "t", args: [], kwargs: [:], options: CallOptions(priority: -2)).0.properties.priority == 0)
    }

    /// The raw `delivery_info` of the last published envelope.
    static func deliveryInfo(_ broker: InMemoryBroker) throws -> JSONValue? {
        let published = try #require(broker.published.last)
        return try JSONValue.parse(published.envelope).objectValue?["properties"]?.objectValue?["delivery_info"]
    }

    /// Celery 5.7 on the default (direct) exchange, captured with `before_task_publish` and the memory transport
    /// (docs/calling.md, "Where a message goes"): `queue='qa'` sends `exchange='', routing_key='qa'`; with
    /// `routing_key='rk'` too the key becomes the queue name again (`amqp.py:send_task_message` turns a call
    /// without an exchange into the anonymous exchange, `routing_key = qname`), since on the anonymous exchange
    /// the routing key is what names the queue, and Celery's worker re-sends retries to
    /// `delivery_info['routing_key']`. Celeriac writes the same; a routing key alone names the queue.
    @Test func routingKeyAndQueue() async throws {
        let (app, broker) = Self.app()
        try await app.delay(Self.add, Add(x: 1, y: 1))
        #expect(try Self.sent(broker).queue == "celery")
        #expect(try Self.deliveryInfo(broker) == .object(["exchange": "", "routing_key": "celery"]))

        try await app.applyAsync(Self.add, Add(x: 1, y: 1), options: CallOptions(queue: "qa"))
        #expect(try Self.sent(broker).queue == "qa")
        #expect(try Self.sent(broker).0.properties.routingKey == "qa")
        #expect(try Self.deliveryInfo(broker) == .object(["exchange": "", "routing_key": "qa"]))

        try await app.applyAsync(Self.add, Add(x: 1, y: 1), options: CallOptions(routingKey: "rk"))
        #expect(try Self.sent(broker).queue == "rk")
        #expect(try Self.deliveryInfo(broker) == .object(["exchange": "", "routing_key": "rk"]))

        try await app.applyAsync(Self.add, Add(x: 1, y: 1), options: CallOptions(queue: "qa", routingKey: "rk"))
        #expect(try Self.sent(broker).queue == "qa")
        #expect(try Self.deliveryInfo(broker) == .object(["exchange": "", "routing_key": "qa"]))

        // From a signature's options (Celery's `routing_key`), the same rules.
        let fromSignature = CallOptions(signatureOptions: ["routing_key": "rk"])
        #expect(app.makeMessage(name: "t", args: [], kwargs: [:], options: fromSignature).queue == "rk")
    }

    @Test func routesFromConfiguration() async throws {
        let (app, broker) = Self.app {
            $0.taskRoutes = ["tests.add": TaskRoute(queue: "math", priority: 5), "images.*": TaskRoute(queue: "media")]
        }
        try await app.delay(Self.add, Add(x: 1, y: 1))
        let (message, _, queue) = try Self.sent(broker)
        #expect(queue == "math")
        #expect(message.properties.routingKey == "math")
        #expect(message.properties.priority == 5)
        #expect(app.makeMessage(name: "images.thumb", args: [], kwargs: [:], options: CallOptions()).queue == "media")
        #expect(app.makeMessage(name: "other", args: [], kwargs: [:], options: CallOptions()).queue == "celery")
    }

    @Test func queuePrecedence() {
        let (app, _) = Self.app {
            $0.taskRoutes = ["tests.add": TaskRoute(queue: "route")]
            $0.taskDefaultQueue = "fallback"
        }
        #expect(app.makeMessage(name: "tests.add", args: [], kwargs: [:], options: CallOptions()).queue == "route")
        app.registry.register(name: "tests.add", options: TaskOptions(queue: "option", priority: 2)) { _, _, _ in .null }
        let (fromOption, optionQueue) = app.makeMessage(name: "tests.add", args: [], kwargs: [:], options: CallOptions())
        #expect(optionQueue == "option")
        #expect(fromOption.properties.routingKey == "option")
        #expect(fromOption.properties.priority == 2)
        #expect(app.makeMessage(name: "tests.add", args: [], kwargs: [:], options: CallOptions(queue: "call")).queue == "call")
        #expect(app.makeMessage(name: "unrouted", args: [], kwargs: [:], options: CallOptions()).queue == "fallback")
    }

    @Test func timeLimitsLinksAndIDs() throws {
        let (app, _) = Self.app()
        app.registry.register(name: "limited", options: TaskOptions(timeLimit: 30, softTimeLimit: 20)) { _, _, _ in .null }
        var options = CallOptions(link: [Signature(task: "cb", args: [1])], linkError: [Signature(task: "eb")])
        options.taskID = "fixed-id"
        options.parentID = "parent"
        options.rootID = "root"
        let (message, _) = app.makeMessage(name: "limited", args: [], kwargs: [:], options: options)
        #expect(message.headers.id == "fixed-id")
        #expect(message.properties.correlationID == "fixed-id")
        #expect(message.headers.parentID == "parent")
        #expect(message.headers.rootID == "root")
        #expect(message.headers.timeLimit == 30)
        #expect(message.headers.softTimeLimit == 20)
        #expect(message.headers.jsonObject()["timelimit"] == [30, 20])
        #expect(message.embed.callbacks == [Signature(task: "cb", args: [1]).json()])
        #expect(message.embed.errbacks == [Signature(task: "eb").json()])
        let override = app.makeMessage(name: "limited", args: [], kwargs: [:], options: CallOptions(timeLimit: 5)).0
        #expect(override.headers.timeLimit == 5)
        #expect(override.headers.softTimeLimit == 20)
    }

    @Test func eachCallGetsAFreshID() {
        let (app, _) = Self.app()
        let first = app.makeMessage(name: "t", args: [], kwargs: [:], options: CallOptions()).0
        let second = app.makeMessage(name: "t", args: [], kwargs: [:], options: CallOptions()).0
        #expect(first.headers.id != second.headers.id)
        #expect(first.properties.deliveryTag != second.properties.deliveryTag)
        #expect(UUID(uuidString: first.headers.id) != nil)
        #expect(first.headers.id == first.headers.id.lowercased())
    }
}
