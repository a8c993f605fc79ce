import Celeriac
import Testing

@Suite("Task argument coding")
struct TaskArgumentCodingTests {
    struct Add: TaskArguments, Hashable {
        static let parameterNames = ["x", "y"]
        var x: Int
        var y: Int
    }

    struct Resize: TaskArguments, Hashable {
        static let parameterNames = ["path", "width"]
        var path: String
        var width: Int
        var quality: Double?
    }

    struct Optional2: TaskArguments, Hashable {
        static let parameterNames = ["a", "b"]
        var a: Int?
        var b: Int
    }

    struct KeywordOnly: TaskArguments, Hashable {
        var name: String
    }

    struct One: TaskArguments, Hashable {
        static let parameterNames = ["x"]
        var x: Int
    }

    static func code(_ body: () throws -> Void) -> (CeleriacError.Code, String)? {
        do {
            try body()
            return nil
        } catch let error as CeleriacError {
            return (error.code, error.message)
        } catch {
            return nil
        }
    }

    @Test func encodeMapsParametersToPositionalArgs() throws {
        let (args, kwargs) = try TaskArgumentCoding.encode(Add(x: 2, y: 3))
        #expect(args == [2, 3])
        #expect(kwargs.isEmpty)
    }

    @Test func encodeSendsUnlistedPropertiesAsKeywords() throws {
        let (args, kwargs) = try TaskArgumentCoding.encode(Resize(path: "a.png", width: 100, quality: 0.5))
        #expect(args == ["a.png", 100])
        #expect(kwargs == ["quality": 0.5])
    }

    @Test func encodeStopsPositionalArgsAtTheFirstMissingParameter() throws {
        let (args, kwargs) = try TaskArgumentCoding.encode(Optional2(a: nil, b: 7))
        #expect(args == [])
        #expect(kwargs == ["b": 7])
    }

    @Test func encodeKeywordOnly() throws {
        let (args, kwargs) = try TaskArgumentCoding.encode(KeywordOnly(name: "n"))
        #expect(args.isEmpty)
        #expect(kwargs == ["name": "n"])
    }

    @Test func encodeRefusesNonObjects() {
        struct Bare: TaskArguments {
            var value: Int
            func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                try container.encode(value)
            }
        }
        #expect(Self.code { _ = try TaskArgumentCoding.encode(Bare(value: 1)) }?.0 == .badArguments)
    }

    @Test(arguments: [
        ([JSONValue]([2, 3]), JSONObject()),
        ([2], ["y": 3]),
        ([], ["x": 2, "y": 3]),
        ([], ["y": 3, "x": 2]),
    ] as [([JSONValue], JSONObject)])
    func decodePositionalAndKeyword(args: [JSONValue], kwargs: JSONObject) throws {
        #expect(try TaskArgumentCoding.decode(Add.self, args: args, kwargs: kwargs, taskName: "tests.add") == Add(x: 2, y: 3))
    }

    @Test func decodeRoundTripsEncode() throws {
        let value = Resize(path: "p", width: 3, quality: 0.25)
        let (args, kwargs) = try TaskArgumentCoding.encode(value)
        #expect(try TaskArgumentCoding.decode(Resize.self, args: args, kwargs: kwargs, taskName: "resize") == value)
    }

    @Test func tooManyPositionalArguments() {
        let error = Self.code { _ = try TaskArgumentCoding.decode(Add.self, args: [1, 2, 3], kwargs: [:], taskName: "tests.add") }
        #expect(error?.0 == .badArguments)
        #expect(error?.1 == "tests.add() takes 2 positional arguments but 3 were given")
    }

    /// Python: `f() takes 1 positional argument but 2 were given`, and `but 1 was given` for one.
    @Test func tooManyPositionalArgumentsUsesPythonsGrammar() {
        let one = Self.code { _ = try TaskArgumentCoding.decode(One.self, args: [1, 2], kwargs: [:], taskName: "one") }
        #expect(one?.1 == "one() takes 1 positional argument but 2 were given")
        let none = Self.code { _ = try TaskArgumentCoding.decode(NoArguments.self, args: [1], kwargs: [:], taskName: "none") }
        #expect(none?.1 == "none() takes 0 positional arguments but 1 was given")
    }

    @Test func duplicateArgument() {
        let error = Self.code { _ = try TaskArgumentCoding.decode(Add.self, args: [1], kwargs: ["x": 5, "y": 2], taskName: "tests.add") }
        #expect(error?.0 == .badArguments)
        #expect(error?.1 == "tests.add() got multiple values for argument 'x'")
    }

    @Test(arguments: [
        ([JSONValue](["a", "b"]), JSONObject()),
        ([1], JSONObject()),
        ([1.5, 2], JSONObject()),
        ([], ["x": .null, "y": 1]),
    ] as [([JSONValue], JSONObject)])
    func wrongOrMissingArgumentsAreBadArguments(args: [JSONValue], kwargs: JSONObject) {
        let error = Self.code { _ = try TaskArgumentCoding.decode(Add.self, args: args, kwargs: kwargs, taskName: "tests.add") }
        #expect(error?.0 == .badArguments)
        #expect(error?.1.hasPrefix("tests.add()") == true)
    }

    @Test func badArgumentsBecomeTypeError() throws {
        do {
            _ = try TaskArgumentCoding.decode(Add.self, args: ["a"], kwargs: [:], taskName: "tests.add")
            Issue.record("decoding should fail")
        } catch {
            let taskError = TaskError.from(error)
            #expect(taskError.excType == "TypeError")
            #expect(taskError.excModule == "builtins")
        }
    }

    /// Python: `f() got an unexpected keyword argument 'z'`.
    @Test func unexpectedKeywordArgument() {
        let error = Self.code { _ = try TaskArgumentCoding.decode(Add.self, args: [1, 2], kwargs: ["z": 3], taskName: "tests.add") }
        #expect(error?.0 == .badArguments)
        #expect(error?.1 == "tests.add() got an unexpected keyword argument 'z'")
        let none = Self.code { _ = try TaskArgumentCoding.decode(NoArguments.self, args: [], kwargs: ["x": 1], taskName: "n") }
        #expect(none?.1 == "n() got an unexpected keyword argument 'x'")
    }

    @Test func optionalKeywordArgumentsAreKnown() throws {
        let decoded = try TaskArgumentCoding.decode(Resize.self, args: ["a.png", 10], kwargs: ["quality": 0.5], taskName: "resize")
        #expect(decoded == Resize(path: "a.png", width: 10, quality: 0.5))
        let without = try TaskArgumentCoding.decode(Resize.self, args: ["a.png", 10], kwargs: [:], taskName: "resize")
        #expect(without.quality == nil)
    }

    @Test func noArgumentsAcceptsNothing() throws {
        #expect(try TaskArgumentCoding.decode(NoArguments.self, args: [], kwargs: [:], taskName: "n") == NoArguments())
        let (args, kwargs) = try TaskArgumentCoding.encode(NoArguments())
        #expect(args.isEmpty && kwargs.isEmpty)
    }
}
