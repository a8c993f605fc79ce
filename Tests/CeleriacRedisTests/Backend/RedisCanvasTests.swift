import CeleriacTesting
import Celeriac
import CeleriacRESP
import CeleriacRedis
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// Groups and chords on Redis in Celery 5.7's own keys and scripts (`vectors/b07_group_exec`,
/// `b08_chord_exec`), and workflows run end to end by a worker on a Redis broker.
@Suite("Canvas on Redis", .enabled(if: RedisServer.shouldRun, "redis-server not installed"))
struct RedisCanvasTests {
    @Test("the chord scripts are Celery's, byte for byte (same SHA-1 as in b08_chord_exec)")
    func scriptsAreCelerys() async throws {
        try await withRedis { redis in
            let backend = try redis.backend()
            let client = try redis.client()
            try await backend.setChordSize(groupID: "g", size: 1)
            let join = try await backend.chordPartReturn(ChordPart(groupID: "g", taskID: "t", groupIndex: 0, state: .success, result: 1))
            guard case .ready(_, let claim) = join else {
                Issue.record("one part of a chord of one should complete it: \(join)")
                return
            }
            try await backend.endChord(groupID: "g", claim: claim, bodySent: true)
            let loaded = try await client.send(RESPCommand("SCRIPT", "EXISTS", "b8fc152c83a7e634103ccebd49dcd3146a8f4366", "dc87180d6bcb7f73c7275eb0fe7a70baf0a8b7c7", "59d7aab41242d82196947ba8926cab712416da4f"))
            #expect(loaded.elements?.map(\.int) == [1, 1, 1], "\(loaded)")
            await client.close()
            await backend.close()
        }
    }

    @Test("GroupResult.save() writes Celery's bytes under celery-taskset-meta-<id>, and restores")
    func savedGroupBytes() async throws {
        try await withRedis { redis in
            let backend = try redis.backend()
            let client = try redis.client()
            let app = CeleriacApp(broker: InMemoryBroker(), backend: backend, logger: .quiet)
            let group = GroupResult<Int>(
                id: "d9a1f96f-f4e7-467c-af4d-2f30e22edbf8",
                children: [.task("f446e60d-cfbc-4dd8-bace-6b4a1e037c7c"), .task("9cc9e83b-9fba-4ad9-a38c-d310643675b1"), .task("f802cc68-e7f9-4382-a33b-f5c16b14cf80")],
                app: app)
            try await group.save()
            let key = "celery-taskset-meta-d9a1f96f-f4e7-467c-af4d-2f30e22edbf8"
            let stored = try await client.text("GET", .string(key))
            #expect(stored == #"{"result": [["d9a1f96f-f4e7-467c-af4d-2f30e22edbf8", null], [[["f446e60d-cfbc-4dd8-bace-6b4a1e037c7c", null], null], [["9cc9e83b-9fba-4ad9-a38c-d310643675b1", null], null], [["f802cc68-e7f9-4382-a33b-f5c16b14cf80", null], null]]]}"#)
            let ttl = try await client.send(RESPCommand("TTL", .string(key))).int ?? -1
            #expect(ttl > 86000 && ttl <= 86400)
            let restored = try #require(try await GroupResult<Int>.restore(id: group.id, app: app))
            #expect(restored.children == group.children)
            try await restored.delete()
            #expect(try await client.text("GET", .string(key)) == nil)
            await client.close()
            await backend.close()
        }
    }

    @Test("the join in Celery's keys: .s set first, [1, id, state, result] in .j by index, .c done after")
    func joinKeys() async throws {
        try await withRedis { redis in
            let backend = try redis.backend()
            let client = try redis.client()
            let base = "celery-taskset-meta-c4a77dc8-0392-4481-af11-e9a2b6352f41"
            try await backend.setChordSize(groupID: "c4a77dc8-0392-4481-af11-e9a2b6352f41", size: 2)
            #expect(try await client.text("GET", .string(base + ".s")) == "2")
            #expect((try await client.send(RESPCommand("TTL", .string(base + ".s"))).int ?? 0) > 86000)
            let second = try await backend.chordPartReturn(
                ChordPart(groupID: "c4a77dc8-0392-4481-af11-e9a2b6352f41", taskID: "152c90cd-af3b-4223-981e-443bb51959db", groupIndex: 1, state: .success, result: 4))
            #expect(second == .pending)
            #expect(try await client.texts("ZRANGE", .string(base + ".j"), 0, -1, "WITHSCORES") == [#"[1, "152c90cd-af3b-4223-981e-443bb51959db", "SUCCESS", 4]"#, "1"])
            #expect(try await client.texts("SMEMBERS", .string(base + ".d")) == ["152c90cd-af3b-4223-981e-443bb51959db:1"])
            // A duplicate counts once.
            #expect(try await backend.chordPartReturn(
                ChordPart(groupID: "c4a77dc8-0392-4481-af11-e9a2b6352f41", taskID: "152c90cd-af3b-4223-981e-443bb51959db", groupIndex: 1, state: .success, result: 4)) == .pending)
            let first = try await backend.chordPartReturn(
                ChordPart(groupID: "c4a77dc8-0392-4481-af11-e9a2b6352f41", taskID: "4748782e-0fc1-4844-b4f9-40c3f5f876bd", groupIndex: 0, state: .success, result: 2))
            guard case .ready(let parts, let claim) = first else {
                Issue.record("the last part should complete the chord: \(first)")
                return
            }
            #expect(parts.map(\.result) == [2, 4])
            let storedClaim = try await client.text("GET", .string(base + ".c"))
            #expect(claim != nil && storedClaim == claim)
            try await backend.endChord(groupID: "c4a77dc8-0392-4481-af11-e9a2b6352f41", claim: claim, bodySent: true)
            #expect(try await client.text("GET", .string(base + ".c")) == "done")
            #expect(try await client.send(RESPCommand("EXISTS", .string(base + ".j"), .string(base + ".s"), .string(base + ".d"))).int == 0)
            #expect(try await backend.chordPartReturn(
                ChordPart(groupID: "c4a77dc8-0392-4481-af11-e9a2b6352f41", taskID: "late", groupIndex: 2, state: .success, result: 0)) == .finished)
            await client.close()
            await backend.close()
        }
    }

    @Test("chain, group, chord and a failing chord, run by a worker on a Redis broker")
    func workflows() async throws {
        try await withRedis { redis in
            let broker = try redis.broker()
            let backend = try redis.backend()
            let app = CeleriacApp(broker: broker, backend: backend, logger: .quiet)
            app.registry.register(name: "tasks.add") { args, _, _ in .int(args.compactMap(\.intValue).reduce(0, +)) }
            app.registry.register(name: "tasks.tsum") { args, _, _ in .int((args.first?.arrayValue ?? []).compactMap(\.intValue).reduce(0, +)) }
            app.registry.register(name: "tests.boom") { _, _, _ in throw TaskError.valueError("boom") }
            let worker = Worker(
                app: app,
                configuration: Worker.Configuration(concurrency: 4, queues: ["celery"], hostname: "celery@redis-canvas", shutdownGracePeriod: .seconds(5), receiveTimeout: .milliseconds(200)),
                logger: .quiet)
            let group = ServiceGroup(services: [worker], logger: .quiet)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                func add(_ x: Int, _ y: Int? = nil) -> Signature { Signature(task: "tasks.add", args: y.map { [.int(x), .int($0)] } ?? [.int(x)]) }
                let chain = try await app.apply(Chain(add(1, 2), add(3), add(4)))
                #expect(try await chain.get(timeout: .seconds(20)) == 10)
                let groupResult = try await app.apply(Group(signatures: (0..<3).map { add($0, $0) }))
                #expect(try await groupResult.get(timeout: .seconds(20)) == [0, 2, 4])
                let chord = try await app.apply(Chord(header: (1...5).map { add($0, $0) }, body: Signature(task: "tasks.tsum")))
                #expect(try await chord.get(timeout: .seconds(20)) == 30)
                let failing = try await app.apply(Chord(header: [add(1, 1), Signature(task: "tests.boom", options: ["task_id": "boom"])], body: Signature(task: "tasks.tsum")))
                let error = await #expect(throws: TaskFailedError.self) { try await failing.get(timeout: .seconds(20)) }
                #expect(error?.error.excType == "ChordError")
                #expect(error?.error.excMessage == [.string("Dependency boom raised ValueError('boom')")])
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            await backend.close()
        }
    }
}
