import NIOCore
import Testing

@testable import CeleriacRESP

/// Random and mutated input must end in a value, "need more bytes" or a `RESPError`: never a crash, a hang or
/// another error type.
@Suite struct RESPDecoderFuzzTests {
    private static let validFrames = [
        "+OK\r\n", "-ERR x\r\n", ":123\r\n", "$5\r\nhello\r\n", "$-1\r\n", "*-1\r\n", "_\r\n", "#t\r\n", ",1.5\r\n",
        "(123\r\n", "!3\r\nERR\r\n", "=7\r\ntxt:abc\r\n", "*3\r\n:1\r\n$1\r\na\r\n*1\r\n+x\r\n",
        "%1\r\n+k\r\n*2\r\n:1\r\n:2\r\n", "~1\r\n_\r\n", ">2\r\n+a\r\n+b\r\n", "|1\r\n+a\r\n+b\r\n:1\r\n",
    ]

    /// Decodes everything in `bytes` with the given feed sizes; returns how many values came out.
    @discardableResult
    private static func drain(_ bytes: [UInt8], chunk: Int, limits: RESPValueDecoder.Limits) -> Int {
        var decoder = RESPValueDecoder(limits: limits)
        var buffer = ByteBuffer()
        var produced = 0
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk)
            buffer.writeBytes(bytes[offset..<end])
            offset = end
            while true {
                let before = buffer.readableBytes
                do {
                    guard try decoder.decode(buffer: &buffer) != nil else { break }
                    produced += 1
                    #expect(buffer.readableBytes < before, "a decoded value must consume bytes")
                } catch let error as RESPError {
                    #expect(error.code == .protocolError)
                    return produced
                } catch {
                    Issue.record("unexpected error type: \(error)")
                    return produced
                }
            }
        }
        return produced
    }

    @Test func randomBytesNeverCrash() {
        var generator = SeededGenerator(seed: 0xC0FFEE)
        let limits = RESPValueDecoder.Limits(maximumDepth: 8, maximumBulkLength: 4096, maximumElements: 1024, maximumLineLength: 256)
        let alphabet = Array("+-:$*_#,(!=%~>|\r\n0123456789-?abc".utf8)
        for round in 0..<3000 {
            let length = Int.random(in: 0...200, using: &generator)
            let useAlphabet = round % 2 == 0
            let bytes = (0..<length).map { _ in
                useAlphabet
                    ? alphabet[Int.random(in: 0..<alphabet.count, using: &generator)]
                    : UInt8.random(in: 0...255, using: &generator)
            }
            Self.drain(bytes, chunk: Int.random(in: 1...64, using: &generator), limits: limits)
        }
    }

    @Test func mutatedValidFramesNeverCrash() {
        var generator = SeededGenerator(seed: 42)
        let limits = RESPValueDecoder.Limits(maximumDepth: 8, maximumBulkLength: 4096, maximumElements: 1024, maximumLineLength: 256)
        let seeds = Self.validFrames.map { Array($0.utf8) }
        for _ in 0..<5000 {
            var bytes = seeds.randomElement(using: &generator) ?? []
            bytes += seeds.randomElement(using: &generator) ?? []
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                guard !bytes.isEmpty else { break }
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: bytes[index] = UInt8.random(in: 0...255, using: &generator)
                case 1: bytes.remove(at: index)
                case 2: bytes.insert(UInt8.random(in: 0...255, using: &generator), at: index)
                default: bytes[index] = Array("\r\n-?*9".utf8).randomElement(using: &generator) ?? 0
                }
            }
            Self.drain(bytes, chunk: Int.random(in: 1...16, using: &generator), limits: limits)
        }
    }

    @Test func validFramesDecodeWhateverTheChunking() {
        let all = Array(Self.validFrames.joined().utf8)
        for chunk in [1, 2, 3, 7, 64, all.count] {
            #expect(Self.drain(all, chunk: chunk, limits: .init()) == Self.validFrames.count)
        }
    }
}

/// A small deterministic generator (SplitMix64), so a failing round can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { self.state = seed }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
