import Celeriac
import CeleriacTesting
import Foundation
import Testing

extension MultiProcessTests {
    /// `celeriac-example worker --metrics-port 0`: the worker serves Prometheus metrics on a free port (logged),
    /// a real HTTP GET /metrics shows the tasks it ran, and the server stops with the worker.
    @Test func workerServesPrometheusMetrics() async throws {
        try await Sandbox.run { sandbox in
            let worker = try await sandbox.startWorker("metrics", concurrency: 2, arguments: ["--metrics-port", "0"])
            let listening = await eventually(timeout: .seconds(10)) { Self.metricsPort(in: worker.standardError) != nil }
            let port = try #require(listening ? Self.metricsPort(in: worker.standardError) : nil, "no 'metrics server listening' line\n\(worker.tail())")

            let ids = [
                try await sandbox.client.send("tasks.add", [2, 3], queue: sandbox.queue),
                try await sandbox.client.send("tasks.add", [4, 5], queue: sandbox.queue),
                try await sandbox.client.send("tasks.fail", ["boom"], queue: sandbox.queue),
            ]
            let metas = try await sandbox.client.waitForResults(ids, timeout: .seconds(20))
            #expect(metas.count == 3, "\(worker.tail())")

            var text = ""
            let counted = try await eventually(timeout: .seconds(10)) {
                text = try await HTTPGet.fetch(port: port, path: "/metrics")
                return text.contains(#"celeriac_worker_tasks_active{worker="metrics@it"} 0.0"#)
                    && text.contains(#"celeriac_tasks_total{name="tasks.fail",state="FAILURE"} 1"#)
            }
            #expect(counted, "\(text)")
            #expect(text.hasPrefix("HTTP/1.1 200"), "\(text)")
            #expect(text.contains(#"celeriac_tasks_received_total{name="tasks.add"} 2"#), "\(text)")
            #expect(text.contains(#"celeriac_tasks_total{name="tasks.add",state="SUCCESS"} 2"#), "\(text)")
            #expect(text.contains(#"celeriac_task_runtime_seconds_count{name="tasks.add"} 2"#), "\(text)")
            #expect(text.contains(#"celeriac_task_queue_wait_seconds_count{name="tasks.add"} 2"#), "\(text)")
            #expect(text.contains(#"celeriac_worker_tasks_prefetched{worker="metrics@it"} 0.0"#), "\(text)")

            #expect(await sandbox.stopWorker(worker) == .exited(0), "\(worker.tail())")
            await #expect(throws: (any Error).self, "the metrics server stops with the worker") {
                _ = try await HTTPGet.fetch(port: port, path: "/metrics")
            }
        }
    }

    @Test func workerRefusesAnInvalidMetricsPort() async throws {
        try await Sandbox.run { sandbox in
            let output = try await sandbox.command(["worker", "-Q", sandbox.queue, "--metrics-port", "70000"])
            #expect(output.exit != .exited(0), "\(output)")
            #expect(output.stderr.contains("--metrics-port must be between 0 and 65535"), "\(output)")
        }
    }

    /// The port in the worker's `metrics server listening address=http://127.0.0.1:<port>/metrics` line.
    static func metricsPort(in log: String) -> Int? {
        guard let line = log.split(separator: "\n").first(where: { $0.hasSuffix("metrics server listening") }),
            let range = line.range(of: "http://127.0.0.1:")
        else { return nil }
        return Int(line[range.upperBound...].prefix { $0.isNumber })
    }
}
