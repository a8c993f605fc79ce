import Tracing

/// Distributed tracing for task messages (docs/metrics.md#tracing): a producer span around every publish, whose
/// context travels in the message headers, and a consumer span around every task the worker runs, started from
/// that context, so one trace follows a request from a web handler through the broker into the worker.
///
/// Celeriac uses whatever swift-distributed-tracing backend the process bootstrapped
/// (`InstrumentationSystem.bootstrap(...)`, e.g. swift-otel) or bound with `withTracer`; with none, nothing
/// is added to messages. The headers are the ones the instrument writes; W3C trace context instruments write
/// `traceparent` and `tracestate`, the headers Python's `opentelemetry-instrumentation-celery` writes and reads,
/// so traces cross between Swift and Python producers and workers.
public enum TaskTracing {
    /// Writes propagation values as top-level message headers (Celery's `headers`, kept in ``TaskHeaders/extra``).
    public struct HeaderInjector: Injector {
        /// Creates the injector.
        public init() {}
        /// Sets header `key` to `value`.
        public func inject(_ value: String, forKey key: String, into carrier: inout JSONObject) {
            carrier[key] = .string(value)
        }
    }

    /// Reads propagation values from message headers.
    public struct HeaderExtractor: Extractor {
        /// Creates the extractor.
        public init() {}
        /// The header `key` when it is a string.
        public func extract(key: String, from carrier: JSONObject) -> String? {
            carrier[key]?.stringValue
        }
    }

    /// Whether no tracer or instrument is set up, so spans and header writes can be skipped entirely.
    static var isDisabled: Bool {
        let instrument = InstrumentationSystem.instrument
        return instrument is NoOpInstrument || instrument is NoOpTracer
    }

    /// Runs `body` (the publish) in a `<task> publish` producer span, with the span's context injected into the
    /// message headers `body` receives.
    static func withPublishSpan<T>(_ message: TaskMessage, queue: String, _ body: (TaskMessage) async throws -> T) async throws -> T {
        if isDisabled { return try await body(message) }
        let headers = message.headers
        return try await InstrumentationSystem.tracer.withAnySpan("\(headers.task) publish", ofKind: .producer) { span in
            describe(span, operation: "publish", action: "apply_async", queue: queue, headers: headers)
            var traced = message
            InstrumentationSystem.instrument.inject(span.context, into: &traced.headers.extra, using: HeaderInjector())
            return try await body(traced)
        }
    }

    /// Sets the messaging attributes both spans carry (OpenTelemetry's messaging conventions, Celery's names).
    private static func describe(_ span: any Span, operation: String, action: String, queue: String, headers: TaskHeaders) {
        span.attributes["messaging.system"] = "celery"
        span.attributes["messaging.operation.type"] = operation
        span.attributes["messaging.destination.name"] = queue
        span.attributes["messaging.message.id"] = headers.id
        span.attributes["celery.action"] = action
        span.attributes["celery.task_name"] = headers.task
    }

    /// The context a message's headers carry (empty when they carry none).
    public static func context(of message: TaskMessage) -> ServiceContext {
        var context = ServiceContext.topLevel
        InstrumentationSystem.instrument.extract(message.headers.extra, into: &context, using: HeaderExtractor())
        return context
    }

    /// Runs `body` (the task's whole run: result, callbacks, ack) in a `<task> process` consumer span continuing
    /// the trace the message headers carry; the span is `ServiceContext.current` while the task code runs.
    static func withProcessSpan<T>(_ message: TaskMessage, queue: String, worker: String, _ body: ((any Span)?) async -> T) async -> T {
        if isDisabled { return await body(nil) }
        let headers = message.headers
        return await InstrumentationSystem.tracer.withAnySpan("\(headers.task) process", context: context(of: message), ofKind: .consumer) { span in
            describe(span, operation: "process", action: "run", queue: queue, headers: headers)
            span.attributes["celery.hostname"] = worker
            if headers.retries > 0 { span.attributes["celery.retries"] = headers.retries }
            return await body(span)
        }
    }

    /// Records how the task ended on its span: `celery.state`, and an error status for failures.
    static func record(_ span: (any Span)?, state: String, error: TaskError? = nil) {
        guard let span else { return }
        span.attributes["celery.state"] = state
        if let error {
            span.setStatus(SpanStatus(code: .error, message: "\(error)"))
        }
    }
}
