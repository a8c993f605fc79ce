import Testing

@testable import Celeriac

@Suite("JSON object duplicate keys")
struct JSONObjectBuilderTests {
    /// A reference: pairs with a later duplicate's value at the first position, by plain search.
    static func reference(_ pairs: [(String, JSONValue)]) -> [(String, JSONValue)] {
        var result: [(String, JSONValue)] = []
        for (key, value) in pairs {
            if let index = result.firstIndex(where: { $0.0 == key }) { result[index].1 = value } else { result.append((key, value)) }
        }
        return result
    }

    static func text(_ pairs: [(String, JSONValue)]) -> String {
        "{" + pairs.map { "\"\($0.0)\": \($0.1.serialized(.python))" }.joined(separator: ", ") + "}"
    }

    /// Objects of 0 to 100 keys (below and above the filter's limit) with duplicates spread through them,
    /// parsed and built through the public initializer, against the reference.
    @Test(arguments: [0, 1, 5, 8, 9, 20, 31, 32, 33, 40, 64, 100])
    func laterDuplicateReplacesValueAndKeepsPosition(keyCount: Int) throws {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<20 {
            var pairs: [(String, JSONValue)] = []
            for index in 0..<keyCount {
                // Keys sharing length, first and last byte ("k00x".."k99x") collide in the signature.
                let key = index % 3 == 0 ? "k\(index % 10)\(index / 10)x" : "key_\(index)"
                pairs.append((key, .int(index)))
                if Int.random(in: 0..<4, using: &generator) == 0, !pairs.isEmpty {
                    let earlier = pairs[Int.random(in: 0..<pairs.count, using: &generator)].0
                    pairs.append((earlier, .int(1000 + round * 1000 + index)))
                }
            }
            let expected = Self.reference(pairs)
            let built = JSONObject(pairs)
            #expect(built.keys == expected.map(\.0))
            #expect(built.pairs.map(\.value) == expected.map(\.1))
            let parsed = try JSONValue.parse(Self.text(pairs)).objectValue
            #expect(parsed == built)
        }
    }

    @Test func escapedAndPlainSpellingsOfAKeyAreOneKey() throws {
        let object = try JSONValue.parse(#"{"ab": 1, "x": 2, "a\u0062": 3, "\u0061b": 4}"#).objectValue
        #expect(object?.keys == ["ab", "x"])
        #expect(object?["ab"] == .int(4))
    }

    @Test func nonASCIIKeysAndValuesAreKept() throws {
        let object = try JSONValue.parse(#"{"é": "ü", "e": 1, "é": "😀"}"#).objectValue
        #expect(object?.keys == ["é", "e"])
        #expect(object?["é"] == .string("😀"))
        #expect(throws: JSONParseError.self) { try JSONValue.parse([0x22, 0xC3, 0x22]) }
    }

    @Test func emptyKeysAreKeys() throws {
        let object = try JSONValue.parse(#"{"": 1, "a": 2, "": 3}"#).objectValue
        #expect(object?.keys == ["", "a"])
        #expect(object?[""] == .int(3))
    }
}
