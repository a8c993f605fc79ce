import Celeriac
import Testing

@testable import CeleriacPostgres

/// `task_args`/`task_kwargs` hold Python's repr of the arguments; these are the values django-celery-results
/// wrote in `vectors-sql/21-django-celery-results-postgresql-rows.txt` (before `json.dumps`).
@Suite struct PythonReprTests {
    @Test func tuplesAsPythonWritesThem() {
        #expect(PythonRepr.tuple([]) == "()")
        #expect(PythonRepr.tuple([.string("kaboom")]) == "('kaboom',)")
        #expect(PythonRepr.tuple([2, 3]) == "(2, 3)")
        #expect(PythonRepr.tuple([.array([6, 8])]) == "([6, 8],)")
        #expect(PythonRepr.tuple([1, .string("héllo ☃")]) == "(1, 'héllo ☃')")
    }

    @Test func dictsAndScalars() {
        #expect(PythonRepr.dict([:]) == "{}")
        #expect(PythonRepr.dict(["k": [1.5, nil]]) == "{'k': [1.5, None]}")
        #expect(PythonRepr.repr(.bool(true)) == "True")
        #expect(PythonRepr.repr(.double(1e16)) == "1e+16")
        #expect(PythonRepr.repr(.double(.nan)) == "nan")
    }

    @Test func stringQuotingAndEscapes() {
        #expect(PythonRepr.string("it's") == "\"it's\"")
        #expect(PythonRepr.string("both ' and \"") == "'both \\' and \"'")
        #expect(PythonRepr.string("a\\b\nc\td\r") == "'a\\\\b\\nc\\td\\r'")
        #expect(PythonRepr.string("\u{1}\u{7f}\u{200b}") == "'\\x01\\x7f\\u200b'")
    }

    @Test func djangoColumnIsJSONOfTheRepr() {
        let column = JSONValue.string(PythonRepr.tuple([1, .string("héllo ☃")])).serialized(.python)
        #expect(column == #""(1, 'h\u00e9llo \u2603')""#)
    }
}
