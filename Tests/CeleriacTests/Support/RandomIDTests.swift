import Foundation
import Testing

@testable import Celeriac

@Suite struct RandomIDTests {
    /// A fixed generator: the bytes it gives are known, so the layout can be checked digit by digit.
    struct Fixed: RandomNumberGenerator {
        var values: [UInt64]
        mutating func next() -> UInt64 { values.removeFirst() }
    }

    @Test("the 16 bytes in order, with version 4 and the RFC 4122 variant set, lowercase and hyphenated")
    func layout() {
        var all = Fixed(values: [.max, .max])
        #expect(RandomID.uuid4(using: &all) == "ffffffff-ffff-4fff-bfff-ffffffffffff")
        var none = Fixed(values: [0, 0])
        #expect(RandomID.uuid4(using: &none) == "00000000-0000-4000-8000-000000000000")
        var counting = Fixed(values: [0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210])
        #expect(RandomID.uuid4(using: &counting) == "01234567-89ab-4def-bedc-ba9876543210")
    }

    @Test("what Foundation and Python's uuid module parse, and never the same twice")
    func parsesAndDiffers() {
        var seen = Set<String>()
        for _ in 0..<10_000 {
            let id = RandomID.uuid4()
            let parsed = UUID(uuidString: id)
            #expect(parsed?.uuidString.lowercased() == id)
            #expect(id.count == 36)
            seen.insert(id)
        }
        #expect(seen.count == 10_000)
    }
}
