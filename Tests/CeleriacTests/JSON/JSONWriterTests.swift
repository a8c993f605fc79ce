import Testing

@testable import Celeriac

@Suite("JSON writer")
struct JSONWriterTests {
    /// `repr(f)` and `json.dumps(f)` from CPython 3.11 (they agree for finite floats).
    @Test(arguments: [
        (0.0, "0.0"), (-0.0, "-0.0"), (1.0, "1.0"), (-1.5, "-1.5"), (0.1, "0.1"), (1e-05, "1e-05"),
        (0.0001, "0.0001"), (1e16, "1e+16"), (1e15, "1000000000000000.0"),
        (123_456_789_012_345_680.0, "1.2345678901234568e+17"), (1.5e300, "1.5e+300"), (Double.leastNonzeroMagnitude, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"), (2.5e-7, "2.5e-07"),
        (9_999_999_999_999_998.0, "9999999999999998.0"), (3.141592653589793, "3.141592653589793"), (100.0, "100.0"),
        (1e22, "1e+22"), (0.3, "0.3"), (2.0 / 3.0, "0.6666666666666666"), (1234.5678, "1234.5678"),
        (-2.5e-5, "-2.5e-05"), (12_345_678_901_234_567_890.0, "1.2345678901234567e+19"),
        (0.0001 * 3, "0.00030000000000000003"),
    ])
    func floatsLikePythonRepr(value: Double, expected: String) {
        #expect(JSONValue.double(value).serialized() == expected)
        #expect(JSONValue.double(value).serialized(.compact) == expected)
        #expect(PythonNumberFormat.pythonRepr(value) == expected)
    }

    @Test func nonFiniteFloatsLikePython() {
        #expect(JSONValue.array([.double(.nan), .double(.infinity), .double(-.infinity)]).serialized() == "[NaN, Infinity, -Infinity]")
        #expect(PythonNumberFormat.pythonRepr(.nan) == "nan")
        #expect(PythonNumberFormat.pythonRepr(-.infinity) == "-inf")
    }

    @Test func integers() {
        #expect(JSONValue.int(0).serialized() == "0")
        #expect(JSONValue.int(7).serialized() == "7")
        #expect(JSONValue.int(-7).serialized() == "-7")
        #expect(JSONValue.int(1_234_567_890).serialized() == "1234567890")
        #expect(JSONValue.int(Int.max).serialized() == "9223372036854775807")
        #expect(JSONValue.int(Int.min).serialized() == "-9223372036854775808")
    }

    /// `json.dumps(value)` and `json.dumps(value, separators=(',', ':'), ensure_ascii=False)` from CPython 3.11.
    @Test func pythonAndCompactStyles() {
        let value: JSONValue = .object([
            "a": .string("é\u{00E9} 😀 \u{0}\u{1F}\u{7F} \"\\/\u{8}\u{C}\n\r\t \u{2028}"),
            "k": [1, .object(["x": nil, "y": true])],
            "z": [],
        ])
        #expect(
            value.serialized(.python)
                == #"{"a": "\u00e9\u00e9 \ud83d\ude00 \u0000\u001f\u007f \"\\/\b\f\n\r\t \u2028", "k": [1, {"x": null, "y": true}], "z": []}"#
        )
        #expect(
            value.serialized(.compact)
                == "{\"a\":\"éé 😀 \\u0000\\u001f\u{7F} \\\"\\\\/\\b\\f\\n\\r\\t \u{2028}\",\"k\":[1,{\"x\":null,\"y\":true}],\"z\":[]}"
        )
        #expect(JSONValue.object([:]).serialized() == "{}")
        #expect(JSONValue.array([]).serialized() == "[]")
        #expect(JSONValue.string("").serialized() == "\"\"")
    }

    @Test func bytesMatchText() {
        let value: JSONValue = ["x", 1.5, .object(["ü": .null])]
        #expect(value.serializedBytes() == Array(value.serialized().utf8))
        #expect(value.serializedBytes(.compact) == Array(value.serialized(.compact).utf8))
    }

    @Test func roundTrips() throws {
        let samples: [JSONValue] = [
            .null, true, 0, -1, .int(Int.max), 0.5, 1e300, -2.5e-300, "", "plain", "\u{10FFFF}\u{1}\u{FFFF}",
            ["nested", ["deeper", .object(["k": [1, 2, 3]])]],
            .object(["z": 1, "a": 2, "m": .object(["é": "ü"])]),
        ]
        for sample in samples {
            #expect(try JSONValue.parse(sample.serializedBytes(.python)) == sample)
            #expect(try JSONValue.parse(sample.serializedBytes(.compact)) == sample)
        }
        // Every shortest float round-trips through the Python form.
        var random = SplitMix64(seed: 42)
        for _ in 0..<5_000 {
            let bits = random.next()
            let value = Double(bitPattern: bits)
            guard value.isFinite else { continue }
            let text = JSONValue.double(value).serialized()
            #expect(try JSONValue.parse(text) == .double(value), "\(text)")
        }
    }
}
