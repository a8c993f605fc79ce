import Testing

@testable import Celeriac

@Suite("RateLimit parsing")
struct ConfigurationRateLimitTests {
    @Test(arguments: [
        ("10/s", 10.0), ("10", 10.0), ("0.5/s", 0.5), ("100/m", 100.0 / 60), ("1000/h", 1000.0 / 3600),
        ("2/h", 2.0 / 3600), (" 30/m ", 0.5), ("1e2/s", 100.0),
    ])
    func validRates(text: String, perSecond: Double) throws {
        let limit = try RateLimit(text)
        #expect(abs(limit.tokensPerSecond - perSecond) < 1e-12)
        #expect(!limit.isUnlimited)
    }

    @Test(arguments: ["0", "", "   ", "0/m", "0.0/h"])
    func noLimit(text: String) throws {
        #expect(try RateLimit(text).isUnlimited)
        #expect(try RateLimit.parse(text) == nil)
    }

    @Test func nilIsNoLimit() throws {
        #expect(try RateLimit.parse(nil) == nil)
        #expect(try RateLimit.parse("5/m")?.text == "5/m")
    }

    @Test(arguments: ["abc", "10/d", "10/S", "10/sec", "/s", "-1/s", "inf", "nan/s", "10/m/s", "ten/m"])
    func invalidRates(text: String) {
        let error = expectConfigError(.invalidConfiguration) { _ = try RateLimit(text) }
        #expect(error?.message.hasPrefix("Invalid rate limit string: \"\(text)\"") == true)
    }

    @Test func fromTokensPerSecond() throws {
        #expect(try RateLimit(tokensPerSecond: 2).tokensPerSecond == 2)
        _ = expectConfigError(.invalidConfiguration) { _ = try RateLimit(tokensPerSecond: -1) }
        #expect(RateLimit.unlimited.description == "no limit")
    }
}
