import Testing

@testable import Celeriac

@Suite("Python repr and Celery saferepr")
struct PythonReprTests {
    /// `repr()` in CPython 3.11.
    @Test func reprOfValues() {
        #expect(JSONValue.null.pythonRepr() == "None")
        #expect(JSONValue.bool(true).pythonRepr() == "True")
        #expect(JSONValue.bool(false).pythonRepr() == "False")
        #expect(JSONValue.int(-5).pythonRepr() == "-5")
        #expect(JSONValue.double(1).pythonRepr() == "1.0")
        #expect(JSONValue.double(1e-5).pythonRepr() == "1e-05")
        #expect(JSONValue.double(.nan).pythonRepr() == "nan")
        #expect(JSONValue.double(-.infinity).pythonRepr() == "-inf")
        #expect(JSONValue.array([1, 2]).pythonRepr() == "[1, 2]")
        #expect(JSONValue.array([]).pythonRepr() == "[]")
        #expect(JSONValue.object([:]).pythonRepr() == "{}")
        #expect(JSONValue.object(["a": 1, "b": [nil, "x"]]).pythonRepr() == "{'a': 1, 'b': [None, 'x']}")
    }

    @Test(arguments: [
        ("it's", #""it's""#),
        (#"say "hi""#, #"'say "hi"'"#),
        (#"both ' and ""#, #"'both \' and "'"#),
        ("tab\there\n", #"'tab\there\n'"#),
        ("é\u{200B}\u{7F}\u{85}😀\u{E0001}", #"'é\u200b\x7f\x85😀\U000e0001'"#),
        (#"back\slash"#, #"'back\\slash'"#),
        ("", "''"),
        ("\r\u{0}\u{1B}", #"'\r\x00\x1b'"#),
        ("\u{A0}\u{2028}", #"'\xa0\u2028'"#),
    ])
    func reprOfStrings(text: String, expected: String) {
        #expect(JSONValue.string(text).pythonRepr() == expected)
    }

    /// `saferepr(tuple(args), 1024, maxlevels=3)` from celery 5.7.0.
    @Test func argsAndKwargsRepr() throws {
        #expect(JSONValue.pythonArgsRepr([2, 3]) == "(2, 3)")
        #expect(JSONValue.pythonArgsRepr([2]) == "(2,)")
        #expect(JSONValue.pythonArgsRepr([]) == "()")
        #expect(JSONValue.pythonKwargsRepr([:]) == "{}")
        #expect(JSONValue.pythonKwargsRepr(["y": 3]) == "{'y': 3}")
        #expect(JSONValue.array([1]).pythonSafeRepr() == "[1]")
        let mixed = try JSONValue.parse(#"["it's", "a\nb", "\u00e9\\", true, null, 1.5, 1e20, [[[[1]]]], {"a": {"b": {"c": 1}}}]"#)
        #expect(JSONValue.pythonArgsRepr(mixed.arrayValue ?? []) == "('it\\'s', 'a\nb', 'é\\', True, None, 1.5, 1e+20, [[[...]]], {'a': {'b': {...}}})")
        let nested = try JSONValue.parse(#"{"a": "it's", "b": [1, {"c": {"d": 1}}]}"#)
        #expect(JSONValue.pythonKwargsRepr(nested.objectValue ?? [:]) == "{'a': 'it\\'s', 'b': [1, {'c': {...}}]}")
        #expect(JSONValue.pythonArgsRepr([.object(["x": [1, 2, .object(["y": [3]])]])]) == "({'x': [1, 2, {...}]},)")
    }

    /// `saferepr(value, maxlen, maxlevels=3)` from celery 5.7.0, with small limits to reach every truncation path.
    @Test(arguments: [
        ("[0,1,2,3,4,5,6,7,8,9,10,11,12]", 20, true, "(0, 1, 2, 3, 4, 5, 6..., ...)"),
        ("[[0,1,2,3,4,5,6,7,8,9,10,11,12]]", 20, true, "([0, 1, 2, 3, 4, 5, , ...],)"),
        ("[[0],[1],[2],[3],[4],[5],[6],[7]]", 20, true, "([0], [1], [2], [3], , ...)"),
        ("[[0],[1],[2],[3],[4],[5],[6],[7]]", 21, true, "([0], [1], [2], [3], , ...)"),
        ("[[0],[1],[2],[3],[4],[5],[6],[7]]", 22, true, "([0], [1], [2], [3], [, ...])"),
        ("[\"abc def ghi jkl mno\"]", 10, true, "('abc def...',)"),
        ("[\"abcdefghijklmnop\", 1]", 10, true, "('abcdefghi...', ...)"),
        ("[\"abcdefghi\", 1]", 10, true, "('abcdefghi...', ...)"),
        ("[\"abcdefgh\", 1]", 10, true, "('abcdefgh', ...)"),
        ("[1, \"it's a 'test' ok\"]", 12, true, "(1, 'it\\'s a...')"),
        ("[{\"alpha\": 1, \"beta\": 2, \"gamma\": 3}]", 15, true, "({'alpha': 1, 'b...', ...},)"),
        ("[{\"alphabet soup\": 1}]", 8, true, "({'alphab...', ...},)"),
        ("[123456789012, 5]", 6, true, "(12345..., ...)"),
        ("[[1, 2], [3, 4]]", 7, true, "([1, 2], ...)"),
        ("[[1, 2], [3, 4]]", 8, true, "([1, 2], , ...)"),
        ("[[[1, 2]], 3]", 5, true, "([[1, , ...]])"),
        ("[true, null, 1.5, \"x\"]", 7, true, "(True, , ...)"),
        ("[[[[[1]]]]]", 100, true, "([[[...]]],)"),
        ("{\"a\": [1, 2, 3, 4, 5, 6, 7]}", 12, false, "{'a': [1, 2, , ...]}"),
    ])
    func saferepr(json: String, maxLength: Int, asTuple: Bool, expected: String) throws {
        let value = try JSONValue.parse(json)
        let root: PythonSafeRepr.Root = asTuple ? .tuple(value.arrayValue ?? []) : .value(value)
        #expect(PythonSafeRepr.render(root, maxLength: maxLength, maxLevels: 3) == expected)
    }

    @Test func saferepLimits() {
        #expect(PythonSafeRepr.render(.tuple([1, 2, 3]), maxLength: nil, maxLevels: 3) == "(1, 2, 3)")
        #expect(PythonSafeRepr.render(.tuple([[[[1]]]]), maxLength: nil, maxLevels: 3) == "([[[...]]],)")
        #expect(PythonSafeRepr.render(.tuple([[[[1]]]]), maxLength: nil, maxLevels: 0) == "([[[1]]],)")
    }

    /// The 1024-character cut Celery applies to `argsrepr`, checked against celery 5.7.0's output.
    @Test func argsReprIsCutAt1024() {
        let numbers = JSONValue.pythonArgsRepr((0..<600).map { .int($0) })
        #expect(numbers.hasPrefix("(0, 1, 2, 3, "))
        #expect(numbers.hasSuffix(", 224, 225, 226..., ...)"))
        #expect(numbers.count == 1033)

        let text = String(repeating: "abc def ", count: 200)
        let cut = JSONValue.pythonArgsRepr([.string(text)])
        #expect(cut.hasSuffix("abc def abc...',)"))
        #expect(cut.count == 1027)

        let lists = JSONValue.pythonArgsRepr((0..<300).map { .array([.int($0)]) })
        #expect(lists.hasSuffix("[160], [161], , ...)"))

        let accents = JSONValue.pythonArgsRepr([.string(String(repeating: "é", count: 1030))])
        #expect(accents == "('" + String(repeating: "é", count: 1023) + "...',)")

        let xs = JSONValue.pythonArgsRepr([.string(String(repeating: "x", count: 1021)), 5])
        #expect(xs == "('" + String(repeating: "x", count: 1021) + "', ...)")

        #expect(JSONValue.pythonArgsRepr([.string(String(repeating: "x", count: 1020)), [1]]).hasSuffix("xxx', , ...)"))
        #expect(JSONValue.pythonArgsRepr([.string(String(repeating: "x", count: 1018)), [1]]).hasSuffix("x', [, ...])"))
        #expect(JSONValue.pythonArgsRepr([.string(String(repeating: "x", count: 1018)), .object(["a": 1])]).hasSuffix("xxx', {, ...})"))

        let longKey = JSONValue.pythonKwargsRepr(JSONObject([(String(repeating: "k", count: 2000), 1), ("z", 2)]))
        #expect(longKey == "{'" + String(repeating: "k", count: 1023) + "...', ...}")
    }
}
