import Testing

@testable import Celeriac

@Suite("Task routes")
struct ConfigurationRoutesTests {
    @Test func exactMatchBeatsEarlierGlob() {
        let routes: TaskRoutes = [
            "tasks.*": TaskRoute(queue: "glob"),
            "tasks.add": TaskRoute(queue: "math", routingKey: "math.add", priority: 7),
        ]
        #expect(routes.route(for: "tasks.add") == TaskRoute(queue: "math", routingKey: "math.add", priority: 7))
        #expect(routes.route(for: "tasks.mul")?.queue == "glob")
        #expect(routes.route(for: "other.add") == nil)
    }

    @Test func globsInOrder() {
        let routes: TaskRoutes = [
            "images.*": TaskRoute(queue: "media"),
            "images.thumb*": TaskRoute(queue: "thumbs"),
            "*": TaskRoute(queue: "catchall"),
        ]
        #expect(routes.route(for: "images.thumbnail")?.queue == "media")
        #expect(routes.route(for: "video.encode")?.queue == "catchall")
        #expect(routes.entries.map(\.pattern) == ["images.*", "images.thumb*", "*"])
    }

    @Test(arguments: [
        ("tasks.*", "tasks.add", true), ("tasks.*", "tasks.", true), ("tasks.*", "task.add", false),
        ("*.add", "tasks.add", true), ("*.add", "tasks.add2", false), ("t?sks.*", "tasks.x", true),
        ("tasks.[am]*", "tasks.add", true), ("tasks.[am]*", "tasks.sub", false), ("tasks.[!am]*", "tasks.sub", true),
        ("tasks.[a-c]*", "tasks.bar", true), ("a*b*c", "axxbyyc", true), ("a*b*c", "axxbyy", false),
        ("[*", "[x", true), ("tasks.*", "TASKS.add", false),
    ])
    func fnmatchSemantics(pattern: String, name: String, matches: Bool) {
        #expect(Glob.matches(Array(pattern), Array(name)) == matches)
    }

    @Test func keyWithoutStarIsExactOnly() {
        let routes: TaskRoutes = ["tasks.ad?": TaskRoute(queue: "q")]
        #expect(routes.route(for: "tasks.add") == nil)
        #expect(routes.route(for: "tasks.ad?")?.queue == "q")
    }

    @Test func subscriptReplacesAndRemoves() {
        var routes: TaskRoutes = ["a": TaskRoute(queue: "1"), "b": TaskRoute(queue: "2")]
        routes["a"] = TaskRoute(queue: "3")
        #expect(routes.entries.map(\.route.queue) == ["3", "2"])
        routes["a"] = nil
        #expect(routes.count == 1)
    }

    @Test func celeryDictForm() throws {
        let object: JSONObject = [
            "tasks.add": .object(["queue": "math", "routing_key": "math.add", "priority": 3, "exchange": "ex", "delivery_mode": 1]),
            "feed.*": "feeds",
            "mail.send": .object(["routing_key": "mail"]),
        ]
        let routes = try TaskRoutes(json: object)
        #expect(routes["tasks.add"] == TaskRoute(queue: "math", routingKey: "math.add", priority: 3, exchange: "ex", options: ["delivery_mode": 1]))
        #expect(routes.route(for: "feed.fetch")?.queue == "feeds")
        #expect(routes["mail.send"]?.queue == "mail")
    }

    @Test func badRoutesNameTheTask() {
        let noQueue = expectConfigError(.invalidConfiguration) { _ = try TaskRoutes(json: ["tasks.add": .object(["priority": 1])], name: "CELERY_TASK_ROUTES") }
        #expect(noQueue?.message.contains("CELERY_TASK_ROUTES: the route for \"tasks.add\" has no \"queue\"") == true)
        let badPriority = expectConfigError(.invalidConfiguration) { _ = try TaskRoutes(json: ["t": .object(["queue": "q", "priority": 12])]) }
        #expect(badPriority?.message.contains("\"priority\" must be an integer from 0 to 9, got 12") == true)
        let badType = expectConfigError(.invalidConfiguration) { _ = try TaskRoutes(json: ["t": 5]) }
        #expect(badType?.message.contains("must be a queue name or an object") == true)
        let badQueue = expectConfigError(.invalidConfiguration) { _ = try TaskRoutes(json: ["t": .object(["queue": 5])]) }
        #expect(badQueue?.message.contains("\"queue\" must be a string, got 5") == true)
    }

    @Test func configurationRouteUsesTaskRoutes() {
        var config = CeleriacConfiguration()
        config.taskRoutes = ["tasks.*": TaskRoute(queue: "math")]
        #expect(config.route(for: "tasks.add")?.queue == "math")
        #expect(config.route(for: "x") == nil)
    }
}
