import Hummingbird

extension PrometheusExporter {
    /// A `200 OK` response with ``render()`` and Prometheus's content type.
    public func response() -> Response {
        let bytes = renderBytes()
        var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        return Response(status: .ok, headers: [.contentType: Self.contentType], body: ResponseBody(byteBuffer: buffer))
    }
}

extension RouterMethods {
    /// Adds `GET <path>` (default `/metrics`) serving the exporter's metrics in Prometheus text format.
    /// ```swift
    /// let router = Router()
    /// router.addMetricsRoute(PrometheusExporter.bootstrap())
    /// ```
    @discardableResult
    public func addMetricsRoute(_ exporter: PrometheusExporter, path: RouterPath = "/metrics") -> Self {
        get(path) { _, _ in exporter.response() }
    }
}
