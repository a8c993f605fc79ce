import Testing

@testable import Celeriac

@Suite("Base64")
struct Base64Tests {
    @Test(arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ])
    func rfc4648Vectors(plain: String, encoded: String) throws {
        #expect(Base64.encodeToString(Array(plain.utf8)) == encoded)
        #expect(try Base64.decode(encoded) == Array(plain.utf8))
        // Missing padding is tolerated.
        let unpadded = String(encoded.prefix { $0 != "=" })
        #expect(try Base64.decode(unpadded) == Array(plain.utf8))
    }

    @Test func celeryBody() throws {
        let body = "W1syLCAzXSwge30sIHsiY2FsbGJhY2tzIjogbnVsbCwgImVycmJhY2tzIjogbnVsbCwgImNoYWluIjogbnVsbCwgImNob3JkIjogbnVsbH1d"
        let decoded = try Base64.decode(body)
        #expect(String(decoding: decoded, as: UTF8.self) == #"[[2, 3], {}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]"#)
        #expect(Base64.encodeToString(decoded) == body)
    }

    @Test func allByteValuesRoundTrip() throws {
        var random = SplitMix64(seed: 1)
        for length in 0..<300 {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let encoded = Base64.encode(bytes)
            #expect(encoded.count == (length + 2) / 3 * 4)
            #expect(try Base64.decode(encoded) == bytes)
            #expect(try Base64.decode(encoded.lazy.map { $0 }) == bytes)
        }
    }

    @Test(arguments: ["Zm9v!", "Zm 9v", "Zm9v\n", "Z", "Zm9vY", "Zg=a", "Zg===", "=Zg=", "Zm9vYmFy===="])
    func invalidInputIsRefused(text: String) {
        #expect(throws: Base64.DecodingError.self) { try Base64.decode(text) }
    }

    @Test func errorNamesTheOffset() {
        do throws(Base64.DecodingError) {
            _ = try Base64.decode("Zm9v!A==")
            Issue.record("decoded invalid base64")
        } catch {
            #expect(error.offset == 4)
            #expect(error.description.contains("'!'"))
        }
    }
}
