import CeleriacPrometheus
import CeleriacTesting
import CoreMetrics
import Prometheus
import ServiceLifecycle
import Synchronization
import Logging
import Testing

@Suite("PrometheusExporter")
struct PrometheusExporterTests {
    @Test("swift-metrics bound to the exporter's factory are rendered in the text format")
    func rendersSwiftMetrics() {
        let exporter = PrometheusExporter()
        withMetricsFactory(exporter.factory) {
            Counter(label: "celeriac_tasks_total", dimensions: [("name", "tasks.add"), ("state", "SUCCESS")]).increment(by: 3)
            Meter(label: "celeriac_worker_tasks_active", dimensions: [("worker", "w1@h")]).set(2)
            Timer(label: "celeriac_task_runtime_seconds", dimensions: [("name", "tasks.add")]).recordMilliseconds(40)
        }
        let text = exporter.render()
        #expect(text.contains(#"celeriac_tasks_total{name="tasks.add",state="SUCCESS"} 3"#))
        #expect(text.contains(#"celeriac_worker_tasks_active{worker="w1@h"} 2.0"#))
        #expect(text.contains("# TYPE celeriac_task_runtime_seconds histogram"))
        // Celeriac's task buckets reach 10 minutes; the 40 ms run is in the 50 ms bucket and above.
        #expect(text.contains(#"celeriac_task_runtime_seconds_bucket{name="tasks.add",le="0.05"} 1"#))
        #expect(text.contains(#"celeriac_task_runtime_seconds_bucket{name="tasks.add",le="0.025"} 0"#))
        #expect(text.contains(#"celeriac_task_runtime_seconds_bucket{name="tasks.add",le="600.0"} 1"#))
        #expect(text.contains(#"celeriac_task_runtime_seconds_count{name="tasks.add"} 1"#))
    }

    @Test("collect hooks run before each render")
    func hooksRunBeforeRender() {
        let exporter = PrometheusExporter()
        let gauge = exporter.registry.makeGauge(name: "sampled_value")
        let calls = Atomic<Int>(0)
        exporter.onCollect {
            let value = calls.add(1, ordering: .relaxed).newValue
            gauge.set(Double(value * 10))
        }
        #expect(exporter.render().contains("sampled_value 10"))
        #expect(exporter.render().contains("sampled_value 20"))
    }

    @Test("the metrics server answers a real HTTP GET /metrics on a free port")
    func serverServesMetrics() async throws {
        let exporter = PrometheusExporter()
        exporter.registry.makeCounter(name: "celeriac_tasks_total", labels: [("name", "tasks.echo"), ("state", "SUCCESS")]).increment(by: Int64(7))
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = MetricsServer(exporter: exporter, port: 0, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })) { port in continuation.yield(port) }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [server], logger: .init(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            #expect(port > 0)
            let response = try await HTTPGet.fetch(port: port, path: "/metrics")
            #expect(response.hasPrefix("HTTP/1.1 200"))
            #expect(response.lowercased().contains("content-type: text/plain; version=0.0.4; charset=utf-8"))
            #expect(response.contains(#"celeriac_tasks_total{name="tasks.echo",state="SUCCESS"} 7"#))
            let missing = try await HTTPGet.fetch(port: port, path: "/nothing")
            #expect(missing.hasPrefix("HTTP/1.1 404"))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
