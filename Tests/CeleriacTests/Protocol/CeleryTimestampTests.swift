import Foundation
import Testing

@testable import Celeriac

@Suite("Celery timestamps")
struct CeleryTimestampTests {
    /// `datetime.fromisoformat(text).timestamp()` in microseconds, from CPython 3.11 (naive text as UTC).
    @Test(arguments: [
        ("2026-11-26T03:40:25.067118+00:00", Int64(1_795_664_425_067_118)),
        ("2030-01-01T12:00:00+02:00", 1_893_492_000_000_000),
        ("2026-11-26T03:40:25.067118", 1_795_664_425_067_118),
        ("1999-12-31T23:59:59.5-05:30", 946_704_599_500_000),
        ("2000-02-29T00:00:00Z", 951_782_400_000_000),
        ("0001-01-01T00:00:00+00:00", -62_135_596_800_000_000),
        ("9999-12-31T23:59:59.999999+00:00", 253_402_300_799_999_999),
        ("1969-07-20T20:17:40.000001+00:00", -14_182_939_999_999),
        ("2026-11-26 03:40:25.067118+0000", 1_795_664_425_067_118),
        ("2026-11-26T03:40+01", 1_795_660_800_000_000),
        ("2026-11-26T03:40:25.0671189999+00:00", 1_795_664_425_067_118),
    ])
    func parse(text: String, micros: Int64) throws {
        let date = try #require(CeleryTimestamp.parse(text))
        let parsed = (date.timeIntervalSince1970 * 1_000_000).rounded(.down)
        // Within a microsecond: a Date is a Double, so the last digit of far dates is approximate.
        #expect(abs(parsed - Double(micros)) <= 1, "\(text)")
    }

    @Test(arguments: [
        "", "garbage", "2026-11-26", "2026-11-26T", "2026-02-30T00:00:00", "2026-13-01T00:00:00", "2026-11-26T24:00:00",
        "2026-11-26T23:60:00", "2026-11-26T23:59:60", "2026-11-26T03:40:25.", "2026-11-26T03:40:25+25:00",
        "2026-11-26T03:40:25+02:00 trailing", "0000-01-01T00:00:00", "2026-1-26T03:40:25", "2026-11-26T03:40:25+0",
        "2025-02-29T00:00:00",
    ])
    func refusesBadText(text: String) {
        #expect(CeleryTimestamp.parse(text) == nil, "\(text)")
    }

    /// `datetime.isoformat()` from CPython 3.11.
    @Test func formatsLikeIsoformat() {
        let date = Date(timeIntervalSince1970: 1_795_664_425.067118)
        #expect(CeleryTimestamp.format(date) == "2026-11-26T03:40:25.067118+00:00")
        #expect(CeleryTimestamp.format(date, utcOffsetSeconds: -19_800) == "2026-11-25T22:10:25.067118-05:30")
        #expect(CeleryTimestamp.format(Date(timeIntervalSince1970: 1_893_492_000), utcOffsetSeconds: 7200) == "2030-01-01T12:00:00+02:00")
        #expect(CeleryTimestamp.format(Date(timeIntervalSince1970: 1_795_664_425), utcOffsetSeconds: 19_815) == "2026-11-26T09:10:40+05:30:15")
        #expect(CeleryTimestamp.format(Date(timeIntervalSince1970: -1.5)) == "1969-12-31T23:59:58.500000+00:00")
        #expect(CeleryTimestamp.format(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00+00:00")
    }

    @Test func clampsOutOfRangeDates() {
        #expect(CeleryTimestamp.format(.distantFuture) == "4001-01-01T00:00:00+00:00")
        #expect(CeleryTimestamp.format(.distantPast) == "0001-01-01T00:00:00+00:00")
        #expect(CeleryTimestamp.format(Date(timeIntervalSince1970: 1e12)) == "9999-12-31T23:59:59.999999+00:00")
        #expect(CeleryTimestamp.format(Date(timeIntervalSince1970: 253_402_300_799), utcOffsetSeconds: 3600) == "9999-12-31T23:59:59.999999+01:00")
        #expect(CeleryTimestamp.format(Date(timeIntervalSince1970: .infinity)).hasPrefix("9999-"))
        #expect(CeleryTimestamp.format(Date(timeIntervalSince1970: -.infinity)) == "0001-01-01T00:00:00+00:00")
        _ = CeleryTimestamp.format(Date(timeIntervalSince1970: .nan))  // no crash
    }

    @Test func roundTripsAtMicrosecondPrecision() throws {
        var random = SplitMix64(seed: 7)
        for _ in 0..<2_000 {
            let seconds = Int64(random.next() % 8_000_000_000) - 2_000_000_000
            let micro = Int64(random.next() % 1_000_000)
            let offset = (Int(random.next() % 97) - 48) * 900
            let date = Date(timeIntervalSince1970: Double(seconds) + Double(micro) / 1e6)
            let text = CeleryTimestamp.format(date, utcOffsetSeconds: offset)
            let back = try #require(CeleryTimestamp.parse(text))
            #expect(CeleryTimestamp.format(back, utcOffsetSeconds: offset) == text)
            #expect(CeleryTimestamp.format(back) == CeleryTimestamp.format(date))
        }
    }
}
