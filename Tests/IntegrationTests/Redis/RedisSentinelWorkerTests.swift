import CeleriacTesting
import Foundation
import Testing

/// `sentinel://` broker and backend URLs, as kombu takes them, through the real `celeriac-example` commands: the
/// worker and `call --wait` find the master through a Sentinel (skipping a dead one listed first) and run a task.
@Suite(.serialized, .timeLimit(.minutes(1)), .enabled(if: RedisWorld.enabled, "redis-server not installed (set CI=true to fail instead)"))
struct RedisSentinelWorkerTests {
    @Test func workerAndClientFindTheMasterThroughSentinel() async throws {
        try await RedisWorld.run { world in
            let sentinelPort = try IntegrationRedisServer.freePort()
            let sentinel = try await IntegrationRedisServer.start(
                ["--sentinel"], port: sentinelPort,
                configFile: "sentinel monitor mymaster 127.0.0.1 \(world.server.port) 1\nsentinel down-after-milliseconds mymaster 60000\n")
            do {
                let deadPort = try IntegrationRedisServer.freePort()
                let url = "sentinel://127.0.0.1:\(deadPort)/0;sentinel://127.0.0.1:\(sentinelPort)/0"
                let settings = [
                    "CELERY_BROKER_URL": url,
                    "CELERY_RESULT_BACKEND": url,
                    "CELERY_BROKER_TRANSPORT_OPTIONS": #"{"master_name": "mymaster"}"#,
                    "CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS": #"{"master_name": "mymaster"}"#,
                ]
                let worker = try world.start("worker-sentinel", ["worker", "-l", "debug", "-Q", world.queue, "-n", "s@it", "-c", "1"], environment: settings)
                let ready = await eventually(timeout: .seconds(15)) { worker.log.contains(WorkerEvent.ready) || !worker.isRunning }
                try #require(ready && worker.isRunning, "the worker should start through Sentinel\n\(worker.tail())")

                let output = try await world.command(
                    ["call", "tasks.add", "-a", "[40, 2]", "--queue", world.queue, "--wait", "--timeout", "10"], environment: settings)
                #expect(output.succeeded, "\(output)")
                #expect(output.lines.last == "42", "\(output)")
                // The message really went through the master the Sentinel names.
                let keys = try world.redisCLI(["KEYS", "celery-task-meta-*"])
                #expect(keys.contains("celery-task-meta-"), "the result should be on the master: \(keys)")

                // A master name the Sentinel does not know is a clear error at start.
                var unknown = settings
                unknown["CELERY_BROKER_TRANSPORT_OPTIONS"] = #"{"master_name": "nosuch"}"#
                let refused = try await world.command(["call", "tasks.add", "-a", "[1, 1]", "--queue", world.queue], environment: unknown, timeout: .seconds(20))
                #expect(!refused.succeeded, "\(refused)")
                #expect((refused.stderr + refused.stdout).contains("broker_url"), "the error should name the setting: \(refused)")
                await sentinel.stop()
            } catch {
                await sentinel.stop()
                throw error
            }
        }
    }
}
