import Testing

@testable import Celeriac

@Suite("Wire fields read in one pass")
struct WireFieldsTests {
    static let table = WireKeyTable(["task", "id", "stamps", "shadow", "group_index", "redelivered", "replaced_task_nesting"])

    @Test func knownKeysBySlotAndTheRestInOrder() throws {
        let object: JSONObject = [
            "zz": 1, "id": "i", "shadow": .null, "aa": "x", "task": "t", "replaced_task_nesting": 2, "stampz": 3,
        ]
        let fields = WireFields(object: object, kind: "header", known: Self.table)
        #expect(try fields.string("task") == "t")
        #expect(try fields.string("id") == "i")
        #expect(try fields.string("shadow") == nil)
        #expect(try fields.int("replaced_task_nesting") == 2)
        #expect(try fields.object("stamps") == nil)
        #expect(try fields.int("group_index") == nil)
        #expect(fields["stampz"] == .int(3))  // not in the table: found by search
        #expect(fields.unknown.keys == ["zz", "aa", "stampz"])
        #expect(Self.table.slot(of: "task") == 0)
        #expect(Self.table.slot(of: "tusk") == nil)  // same length, first and last byte
        #expect(Self.table.slot(of: "") == nil)
        #expect(!Self.table.contains("replaced_task_nestinG"))
    }

    @Test func wrongTypesNameTheKeyAndTheType() {
        let fields = WireFields(object: ["task": 5, "group_index": "3", "redelivered": [1]], kind: "header", known: Self.table)
        #expect(throws: CeleriacError.self) { try fields.string("task") }
        do throws(CeleriacError) {
            _ = try fields.int("group_index")
            Issue.record("no error")
        } catch {
            #expect(error.message == "header 'group_index' must be an integer or null, found a string")
        }
        do throws(CeleriacError) {
            _ = try fields.bool("redelivered")
            Issue.record("no error")
        } catch {
            #expect(error.message == "header 'redelivered' must be a boolean or null, found a list")
        }
    }

    /// Headers in any order, with a duplicate (the later value wins) and unknown headers between known ones.
    @Test func headersInAnyOrder() throws {
        let text = #"{"x-custom": [1], "id": "the-id", "retries": 1, "task": "tasks.add", "retries": 4, "stamps": {"a": 1}, "lang": "rb", "ignore_result": true, "zz": null}"#
        guard case .object(let object) = try JSONValue.parse(text) else {
            Issue.record("not an object")
            return
        }
        let headers = try TaskHeaders(jsonObject: object)
        #expect(headers.task == "tasks.add")
        #expect(headers.id == "the-id")
        #expect(headers.retries == 4)
        #expect(headers.lang == "rb")
        #expect(headers.ignoreResult == true)
        #expect(headers.stamps == ["a": 1])
        #expect(headers.rootID == nil)
        #expect(headers.extra.keys == ["x-custom", "zz"])
        #expect(headers.extra["zz"] == .null)
    }

    @Test func wrongTypedHeaderNamesHeaderTypeAndTask() {
        do throws(CeleriacError) {
            _ = try TaskHeaders(jsonObject: ["task": "tasks.add", "id": "the-id", "eta": 5])
            Issue.record("no error")
        } catch {
            #expect(error.code == .malformedMessage)
            #expect(error.message == "header 'eta' must be a string or null, found a number")
            #expect(error.taskID == "the-id")
            #expect(error.taskName == "tasks.add")
        }
        do throws(CeleriacError) {
            _ = try TaskHeaders(jsonObject: ["id": "the-id"])
            Issue.record("no error")
        } catch {
            #expect(error.message.contains("no 'task' header"))
            #expect(error.taskID == "the-id")
        }
    }

    @Test func acceptedContentTypesFromSettings() {
        var configuration = CeleriacConfiguration()
        configuration.acceptContent = ["json"]
        #expect(configuration.acceptedContentTypes == ["application/json"])
        configuration.acceptContent = ["pickle", "application/json"]
        #expect(configuration.acceptedContentTypes == ["application/json"])
        configuration.acceptContent = ["JSON"]
        #expect(configuration.acceptedContentTypes == ["application/json"])
        configuration.acceptContent = ["pickle", "yaml"]
        #expect(configuration.acceptedContentTypes.isEmpty)
    }
}
