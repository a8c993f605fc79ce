import Celeriac
import CeleriacPrometheus
import Foundation
import Prometheus

/// The dashboard's gauges on the Prometheus endpoint, refreshed before every scrape:
/// `celeriac_dashboard_workers{state}`, `celeriac_queue_messages{queue,state}` and
/// `celeriac_dashboard_tasks{state}`.
enum DashboardMetrics {
    static func register(on exporter: PrometheusExporter, state: ClusterState, queues: QueueCache) {
        let registry = exporter.registry
        exporter.onCollect {
            let now = Date().timeIntervalSince1970
            let workers = state.workers()
            let alive = workers.filter { $0.isAlive(now: now) }.count
            registry.makeGauge(descriptor: MetricNameDescriptor(metricName: "celeriac_dashboard_workers", unitName: "", helpText: "Workers seen by the dashboard"), labels: [("state", "alive")]).set(Double(alive))
            registry.makeGauge(descriptor: MetricNameDescriptor(metricName: "celeriac_dashboard_workers", unitName: "", helpText: "Workers seen by the dashboard"), labels: [("state", "offline")]).set(Double(workers.count - alive))
            for depth in queues.depths {
                registry.makeGauge(descriptor: MetricNameDescriptor(metricName: "celeriac_queue_messages", unitName: "", helpText: "Messages in a broker queue"), labels: [("queue", depth.queue), ("state", "ready")]).set(Double(depth.ready))
                registry.makeGauge(descriptor: MetricNameDescriptor(metricName: "celeriac_queue_messages", unitName: "", helpText: "Messages in a broker queue"), labels: [("queue", depth.queue), ("state", "unacked")]).set(Double(depth.unacked))
            }
            for (name, count) in state.stateCounts() {
                registry.makeGauge(descriptor: MetricNameDescriptor(metricName: "celeriac_dashboard_tasks", unitName: "", helpText: "Tasks the dashboard holds, per state"), labels: [("state", name)]).set(Double(count))
            }
        }
    }
}
