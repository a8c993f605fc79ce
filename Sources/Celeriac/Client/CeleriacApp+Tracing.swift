extension CeleriacApp {
    /// Publishes a message, retrying on broker failures as the publish retry policy says.
    ///
    /// With a tracer set up (swift-distributed-tracing), the publish runs in a `<task> publish` producer span
    /// and the span's context goes into the message headers (`traceparent`/`tracestate` with a W3C instrument);
    /// see ``TaskTracing``.
    public func publish(_ message: TaskMessage, queue: String, retry: Bool? = nil, policy: PublishRetryPolicy? = nil) async throws {
        try await TaskTracing.withPublishSpan(message, queue: queue) { traced in
            try await publishUntraced(traced, queue: queue, retry: retry, policy: policy)
        }
    }
}
