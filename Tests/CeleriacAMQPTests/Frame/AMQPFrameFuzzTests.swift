import NIOCore
import NIOEmbedded
import Testing

@testable import CeleriacAMQP

/// Random and mutated frames through the decoder and through a whole connection handler: no crash, no hang, and
/// either a decoded frame or an ``AMQPError``.
@Suite("AMQP frame fuzzing")
struct AMQPFrameFuzzTests {
    /// A small deterministic generator, so that a failure can be replayed from its seed.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            self.state &+= 0x9E37_79B9_7F4A_7C15
            var z = self.state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Valid frames to mutate: captured ones when available, plus frames of every kind built here.
    static func seeds() throws -> [[UInt8]] {
        var frames: [AMQPFrame] = [
            AMQPFrame(channel: 0, payload: .method(.connection(AMQPConnectionStateMachineTests.start))),
            AMQPFrame(channel: 1, payload: .method(.basic(.deliver(consumerTag: "t", deliveryTag: 1, redelivered: false, exchange: "x", routingKey: "k")))),
            AMQPFrame(channel: 1, payload: .header(AMQPContentHeader(bodySize: 5, properties: AMQPProperties(contentType: "a", headers: AMQPFieldValueTests.everyType, priority: 0)))),
            AMQPFrame(channel: 1, payload: .body(ByteBuffer(string: "hello"))),
            AMQPFrame(channel: 0, payload: .heartbeat),
            AMQPFrame(channel: 1, payload: .method(.queue(.declare(queue: "q", passive: false, durable: true, exclusive: false, autoDelete: false, noWait: false, arguments: ["x-max-priority": 10])))),
        ]
        frames += try AMQPVectorTests.records().prefix(300).compactMap { record in
            var payload = ByteBuffer(bytes: record.payload)
            switch record.type {
            case 1: return try AMQPFrame(channel: record.channel, payload: .method(AMQPMethod(from: &payload)))
            case 2: return try AMQPFrame(channel: record.channel, payload: .header(AMQPContentHeader(from: &payload)))
            default: return nil
            }
        }
        return try frames.map { frame in
            var encoder = AMQPFrameEncoder()
            try encoder.encode(frame)
            return Array(encoder.buffer.readableBytesView)
        }
    }

    static func mutate(_ bytes: [UInt8], using random: inout SplitMix) -> [UInt8] {
        var bytes = bytes
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            guard !bytes.isEmpty else { break }
            let index = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<5, using: &random) {
            case 0: bytes[index] = UInt8.random(in: 0...255, using: &random)
            case 1: bytes[index] ^= 1 << UInt8.random(in: 0..<8, using: &random)
            case 2: bytes.remove(at: index)
            case 3: bytes.insert(UInt8.random(in: 0...255, using: &random), at: index)
            default: bytes = Array(bytes.prefix(index))
            }
        }
        return bytes
    }

    /// Decodes everything it can; returns whether the decoder stopped with an error, asserting progress each step.
    @discardableResult
    static func decodeAll(_ bytes: [UInt8], frameMax: UInt32 = 131_072) -> Bool {
        var buffer = ByteBuffer(bytes: bytes)
        var decoder = AMQPFrameDecoder(limit: .init(frameMax: frameMax))
        while true {
            let before = buffer.readableBytes
            do {
                guard try decoder.decode(buffer: &buffer) != nil else { return false }
            } catch {
                #expect(error is AMQPError, "not an AMQPError: \(error)")
                return true
            }
            #expect(buffer.readableBytes < before)  // every decoded frame consumes bytes: no endless loop
        }
    }

    @Test func randomBytes() {
        var random = SplitMix(state: 0xC0FFEE)
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...64, using: &random)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
            // Half of the inputs get a plausible frame header so that payload parsing is reached.
            if Int.random(in: 0...1, using: &random) == 1, bytes.count > 8 {
                bytes[0] = [1, 2, 3, 8][Int.random(in: 0...3, using: &random)]
                bytes[3] = 0
                bytes[4] = 0
                bytes[5] = 0
                bytes[6] = UInt8(bytes.count - 8)
                bytes[bytes.count - 1] = AMQPFrame.frameEnd
            }
            Self.decodeAll(bytes)
        }
    }

    @Test func mutatedValidFrames() throws {
        var random = SplitMix(state: 42)
        let seeds = try Self.seeds()
        var errors = 0
        for _ in 0..<20_000 {
            let seed = seeds[Int.random(in: 0..<seeds.count, using: &random)]
            if Self.decodeAll(Self.mutate(seed, using: &random)) { errors += 1 }
        }
        #expect(errors > 1000)  // the mutations do reach the error paths
        for seed in seeds { #expect(!Self.decodeAll(seed)) }
    }

    @Test func mutatedFramesThroughTheConnectionHandler() throws {
        var random = SplitMix(state: 7)
        let seeds = try Self.seeds()
        for round in 0..<300 {
            let amqp = try EmbeddedAMQP(heartbeat: 5, maximumBodySize: 1 << 16)
            try amqp.handshake(heartbeat: 5)
            let id = try amqp.openChannel()
            let pending = amqp.call(.basic(.qos(prefetchSize: 0, prefetchCount: 1, global: false)), channel: id)
            var stream = ByteBuffer()
            for _ in 0..<Int.random(in: 1...6, using: &random) {
                var seed = seeds[Int.random(in: 0..<seeds.count, using: &random)]
                if seed.count > 3 { seed[1] = 0; seed[2] = seed[2] == 0 ? 0 : UInt8(id) }  // aim most frames at the open channel
                stream.writeBytes(Int.random(in: 0...2, using: &random) == 0 ? seed : Self.mutate(seed, using: &random))
            }
            do {
                try amqp.receive(bytes: stream, bytewise: round % 3 == 0)
            } catch {
                Issue.record("the handler threw \(error) instead of closing")
            }
            // Whatever happened, a silent broker is detected, so nothing waits forever.
            amqp.loop.advanceTime(by: .seconds(30))
            #expect(!amqp.channel.isActive)
            #expect(EmbeddedAMQP.result(of: pending) != nil, "round \(round): the pending call never completed")
            if case .failure(let error)? = EmbeddedAMQP.result(of: pending) { #expect(error is AMQPError) }
            _ = try? amqp.channel.finish()
        }
    }
}
