import Celeriac
import CeleriacHummingbird
import Foundation
import Testing

/// Reading `POST /tasks` bodies, and the state JSON, without a server.
@Suite("TaskSendRequest and TaskStatus")
struct TaskSendRequestTests {
    @Test("every option is read into CallOptions")
    func options() throws {
        let body = try JSONValue.parse(
            #"{"task": "tasks.add", "args": [1], "kwargs": {"y": 2}, "options": {"countdown": 5, "queue": "high", "priority": 7, "task_id": "my-id", "#
                + #""headers": {"tenant": "acme"}, "ignore_result": true, "time_limit": 30, "soft_time_limit": 20.5, "shadow": "add-shadow", "#
                + #""expires": "2030-01-01T00:00:00+00:00"}}"#)
        let request = try TaskSendRequest(json: body)
        #expect(request.task == "tasks.add")
        #expect(request.args == [1])
        #expect(request.kwargs == ["y": 2])
        #expect(request.options.countdown == 5)
        #expect(request.options.queue == "high")
        #expect(request.options.priority == 7)
        #expect(request.options.taskID == "my-id")
        #expect(request.options.headers == ["tenant": "acme"])
        #expect(request.options.ignoreResult == true)
        #expect(request.options.timeLimit == 30)
        #expect(request.options.softTimeLimit == 20.5)
        #expect(request.options.shadow == "add-shadow")
        #expect(request.options.expires == .date(try #require(CeleryTimestamp.parse("2030-01-01T00:00:00+00:00"))))
    }

    @Test("eta as ISO 8601, expires as seconds, nulls as absent")
    func etaAndNulls() throws {
        let request = try TaskSendRequest(
            json: try JSONValue.parse(#"{"task": "t", "args": null, "kwargs": null, "options": {"eta": "2030-01-01T12:00:00Z", "expires": 60, "queue": null}}"#))
        #expect(request.options.eta == CeleryTimestamp.parse("2030-01-01T12:00:00Z"))
        #expect(request.options.expires == .seconds(60))
        #expect(request.options.queue == nil)
        #expect(request.args.isEmpty)
    }

    @Test("the task name can come from the route instead of the body")
    func nameFromRoute() throws {
        let request = try TaskSendRequest(json: try JSONValue.parse(#"{"args": [2, 3]}"#), task: "tasks.add")
        #expect(request.task == "tasks.add")
        #expect(throws: TaskSendRequest.Invalid.self) { try TaskSendRequest(json: try JSONValue.parse(#"{"args": [2, 3]}"#), task: "") }
    }

    @Test("TaskStatus: PENDING when nothing is stored; extended fields, group and parent when stored")
    func statusJSON() {
        let pending = TaskStatus(taskID: "a", meta: nil).json()
        #expect(pending["state"] == "PENDING")
        #expect(pending["ready"] == false)
        #expect(pending["result"] == .null)
        #expect(pending["name"] == nil)

        let meta = ResultMeta(
            taskID: "b", status: .success, result: .int(1 << 62), dateDone: "2026-01-01T00:00:00+00:00", groupID: "g", parentID: "p",
            extended: .init(name: "tasks.add", args: [1, 2], kwargs: [:], worker: "w@h", retries: 1, queue: "celery"))
        let done = TaskStatus(taskID: "b", meta: meta).json()
        #expect(done["result"] == .int(1 << 62))
        #expect(JSONValue.object(done).serialized(.compact).contains("4611686018427387904"))
        #expect(done["group_id"] == "g")
        #expect(done["parent_id"] == "p")
        #expect(done["name"] == "tasks.add")
        #expect(done["worker"] == "w@h")
        #expect(done["retries"] == 1)
        #expect(done["error"] == nil)
    }
}
