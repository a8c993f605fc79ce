import Celeriac
import CeleriacDashboard
import Testing

@Suite("Dashboard model")
struct DashboardModelTests {
    static func event(_ type: String, _ fields: JSONObject, host: String = "w1@host", at timestamp: Double) -> CeleryEvent {
        var all = fields
        all["type"] = .string(type)
        all["hostname"] = .string(host)
        all["timestamp"] = .double(timestamp)
        return CeleryEvent(fields: all)
    }

    @Test("task events move a task through its states and fill its fields and timeline")
    func taskLifecycle() {
        let state = ClusterState()
        state.apply(Self.event("task-received", ["uuid": "t1", "name": "tasks.add", "args": "(2, 3)", "kwargs": "{}", "retries": 0], at: 100))
        #expect(state.task("t1")?.state == "RECEIVED")
        state.apply(Self.event("task-started", ["uuid": "t1"], at: 101))
        #expect(state.task("t1")?.state == "STARTED")
        state.apply(Self.event("task-succeeded", ["uuid": "t1", "result": "5", "runtime": 0.25], at: 102))
        let task = state.task("t1")
        #expect(task?.state == "SUCCESS" && task?.name == "tasks.add" && task?.args == "(2, 3)" && task?.result == "5")
        #expect(task?.worker == "w1@host" && task?.runtime == 0.25 && task?.received == 100 && task?.finished == 102)
        #expect(task?.timeline.map(\.type) == ["task-received", "task-started", "task-succeeded"])
        // A late, earlier event does not undo the final state.
        state.apply(Self.event("task-started", ["uuid": "t1"], at: 101.5))
        #expect(state.task("t1")?.state == "SUCCESS")
    }

    @Test("failures keep the exception and traceback; a retry goes back to RECEIVED")
    func failureAndRetry() {
        let state = ClusterState()
        state.apply(Self.event("task-received", ["uuid": "t2", "name": "tasks.fail"], at: 10))
        state.apply(Self.event("task-retried", ["uuid": "t2", "exception": "Retry('x')", "traceback": "tb1"], at: 11))
        #expect(state.task("t2")?.state == "RETRY")
        state.apply(Self.event("task-received", ["uuid": "t2", "name": "tasks.fail", "retries": 1], at: 12))
        #expect(state.task("t2")?.state == "RECEIVED" && state.task("t2")?.retries == 1)
        state.apply(Self.event("task-failed", ["uuid": "t2", "exception": "ValueError('boom')", "traceback": "Traceback..."], at: 13))
        #expect(state.task("t2")?.state == "FAILURE" && state.task("t2")?.exception == "ValueError('boom')" && state.task("t2")?.traceback == "Traceback...")
    }

    @Test("worker events: alive by Celery's heartbeat rule, offline on worker-offline")
    func workers() {
        let state = ClusterState()
        state.apply(Self.event("worker-heartbeat", ["freq": 2.0, "active": 1, "processed": 7, "loadavg": .array([0.5, 0.25, 0.1]), "sw_ident": "py-celery"], at: 1000), now: 1000)
        let worker = state.workers().first
        #expect(worker?.hostname == "w1@host" && worker?.processed == 7 && worker?.activeCount == 1 && worker?.loadAverage == [0.5, 0.25, 0.1])
        #expect(worker?.isAlive(now: 1005) == true)
        #expect(worker?.isAlive(now: 1007) == false)
        state.apply(Self.event("worker-offline", [:], at: 1001), now: 1001)
        #expect(state.workers().first?.isAlive(now: 1001) == false)
        state.applyStats([(hostname: "w1@host", value: .object(["pool": .object(["max-concurrency": 4]), "total": .object(["tasks.add": 3])]))])
        #expect(state.workers().first?.concurrency == 4 && state.workers().first?.totals["tasks.add"] == .int(3))
    }

    @Test("filters by state, name and worker; newest first; throughput buckets count finishes")
    func filtersAndThroughput() {
        let state = ClusterState()
        state.apply(Self.event("task-received", ["uuid": "a", "name": "tasks.add"], host: "w1", at: 100))
        state.apply(Self.event("task-succeeded", ["uuid": "a"], host: "w1", at: 101))
        state.apply(Self.event("task-received", ["uuid": "b", "name": "tasks.mul"], host: "w2", at: 102))
        state.apply(Self.event("task-failed", ["uuid": "b", "exception": "E()"], host: "w2", at: 103))
        state.apply(Self.event("task-received", ["uuid": "c", "name": "tasks.add"], host: "w2", at: 104))
        #expect(state.tasks().map(\.id) == ["c", "b", "a"])
        #expect(state.tasks(state: "failure").map(\.id) == ["b"])
        #expect(state.tasks(name: "ADD").map(\.id) == ["c", "a"])
        #expect(state.tasks(worker: "w2").map(\.id) == ["c", "b"])
        #expect(state.tasks(state: "SUCCESS", worker: "w2").isEmpty)
        let buckets = state.throughput(now: 105)
        #expect(buckets.count == ClusterState.bucketCount)
        #expect(buckets.last?.start == 100 && buckets.last?.succeeded == 1 && buckets.last?.failed == 1)
        #expect(buckets.dropLast().allSatisfy { $0.succeeded == 0 && $0.failed == 0 })
    }

    @Test("stored results fill in history: extended fields, exception text; events win over an older stored state")
    func historyMerge() {
        let state = ClusterState()
        let meta = ResultMeta(
            taskID: "h1", status: .failure, result: .object(["exc_type": "ValueError", "exc_message": .array(["boom"]), "exc_module": "builtins"]),
            traceback: "Traceback", dateDone: "2026-11-26T10:00:00.000000+00:00",
            extended: .init(name: "tasks.fail", args: [1, "x"], kwargs: ["k": .null], worker: "w9", retries: 2, queue: "q1"))
        let record = state.merge(meta)
        #expect(record.state == "FAILURE" && record.name == "tasks.fail" && record.exactArgs == [1, "x"] && record.queue == "q1")
        #expect(record.exception == "ValueError('boom')" && record.traceback == "Traceback" && record.worker == "w9" && record.retries == 2)
        #expect(record.args == #"[1,"x"]"# && record.finished != nil)
        // A task that events show running is not set back by a stale stored STARTED.
        state.apply(Self.event("task-received", ["uuid": "h2", "name": "tasks.add"], at: 50))
        state.apply(Self.event("task-succeeded", ["uuid": "h2", "result": "3"], at: 51))
        state.merge(ResultMeta(taskID: "h2", status: .started))
        #expect(state.task("h2")?.state == "SUCCESS")
    }

    @Test("the live feed delivers changes to subscribers and ends after its lifetime")
    func liveFeed() async {
        let state = ClusterState()
        let stream = state.feed.subscribe(lifetime: .milliseconds(300), keepAlive: .seconds(10))
        #expect(state.feed.subscriberCount == 1)
        state.apply(Self.event("task-received", ["uuid": "live1", "name": "tasks.add"], at: 1))
        var kinds: [String] = []
        for await change in stream { kinds.append(change.kind) }
        #expect(kinds == ["task"])
        #expect(state.feed.subscriberCount == 0)
    }

    @Test("re-reading an unchanged stored result publishes nothing (the page re-reads a selected task on each change)")
    func mergePublishesOnlyChanges() async {
        let state = ClusterState()
        let stream = state.feed.subscribe(lifetime: .milliseconds(300), keepAlive: .seconds(10))
        let meta = ResultMeta(taskID: "m1", status: .success, result: 3, dateDone: "2026-11-26T10:00:00.000000+00:00")
        state.merge(meta)
        state.merge(meta)
        state.merge(meta)
        var count = 0
        for await change in stream where change.kind == "task" { count += 1 }
        #expect(count == 1)
    }

    @Test("the state keeps at most maxTasks tasks, dropping the least recently updated")
    func eviction() {
        let state = ClusterState(maxTasks: 10)
        for index in 0..<30 { state.apply(Self.event("task-received", ["uuid": .string("t\(index)"), "name": "n"], at: Double(index))) }
        let kept = state.tasks(limit: 100)
        #expect(kept.count <= 11)
        #expect(kept.first?.id == "t29")
        #expect(state.task("t0") == nil)
    }
}

@Suite("Dashboard Python literals")
struct PythonLiteralTests {
    @Test("reads the args and kwargs reprs of task-received events")
    func literals() throws {
        #expect(try PythonLiteral.arguments("(2, 3)") == [2, 3])
        #expect(try PythonLiteral.arguments("('kaboom',)") == ["kaboom"])
        #expect(try PythonLiteral.arguments("()") == [])
        #expect(try PythonLiteral.arguments("[1.5, None, True, False, -7]") == [1.5, .null, true, false, -7])
        #expect(try PythonLiteral.keywordArguments("{'k': [1, {'n': \"it's\"}], 'u': '\\u00e9\\n'}") == ["k": .array([1, .object(["n": "it's"])]), "u": "é\n"])
        #expect(try PythonLiteral.keywordArguments("{}") == [:])
    }

    @Test("refuses what JSON cannot carry and saferepr's truncation")
    func refusals() {
        #expect(throws: CeleriacError.self) { try PythonLiteral.arguments("(<object at 0x1>,)") }
        #expect(throws: CeleriacError.self) { try PythonLiteral.arguments("([1, 2, ...],)") }
        #expect(throws: CeleriacError.self) { try PythonLiteral.arguments("(1, 2") }
        #expect(throws: CeleriacError.self) { try PythonLiteral.keywordArguments("{1: 2}") }
        #expect(throws: CeleriacError.self) { try PythonLiteral.arguments("'abc'") }
        #expect(throws: CeleriacError.self) { try PythonLiteral.arguments("(datetime.datetime(2020, 1, 1),)") }
    }
}
