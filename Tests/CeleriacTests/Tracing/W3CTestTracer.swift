import InMemoryTracing
import Synchronization
import Tracing

/// An in-memory tracer that propagates W3C trace context (`traceparent: 00-<trace>-<span>-01`, `tracestate`)
/// instead of `InMemoryTracer`'s own keys: what an OpenTelemetry tracer (swift-otel, Python's opentelemetry)
/// writes into and reads from message headers. Spans are recorded by a wrapped `InMemoryTracer` with W3C-sized
/// hexadecimal ids.
struct W3CTestTracer: Tracer {
    typealias Span = InMemorySpan

    let recorder: InMemoryTracer

    init() {
        let counter = Atomic<UInt64>(0)
        let next: @Sendable (Int) -> String = { digits in
            let value = counter.add(1, ordering: .relaxed).newValue
            let hex = String(value &* 0x9E37_79B9_7F4A_7C15, radix: 16)
            return String(repeating: "0", count: max(0, digits - hex.count)) + hex.suffix(digits)
        }
        recorder = InMemoryTracer(
            idGenerator: .init(nextTraceID: { "4bf92f3577b34da6" + next(16) }, nextSpanID: { next(16) }),
            recordInjections: false, recordExtractions: false)
    }

    var finishedSpans: [FinishedInMemorySpan] { recorder.finishedSpans }

    func startSpan<Instant: TracerInstant>(
        _ operationName: String, context: @autoclosure () -> ServiceContext, ofKind kind: SpanKind, at instant: @autoclosure () -> Instant,
        function: String, file fileID: String, line: UInt
    ) -> InMemorySpan {
        recorder.startSpan(operationName, context: context(), ofKind: kind, at: instant(), function: function, file: fileID, line: line)
    }

    func forceFlush() {}

    func inject<Carrier, Inject: Injector>(_ context: ServiceContext, into carrier: inout Carrier, using injector: Inject) where Inject.Carrier == Carrier {
        guard let span = context.inMemorySpanContext else { return }
        injector.inject("00-\(span.traceID)-\(span.spanID)-01", forKey: "traceparent", into: &carrier)
        injector.inject("celeriac=test", forKey: "tracestate", into: &carrier)
    }

    func extract<Carrier, Extract: Extractor>(_ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract) where Extract.Carrier == Carrier {
        guard let parent = extractor.extract(key: "traceparent", from: carrier) else { return }
        let parts = parent.split(separator: "-")
        guard parts.count == 4, parts[0] == "00", parts[1].count == 32, parts[2].count == 16 else { return }
        context.inMemorySpanContext = InMemorySpanContext(traceID: String(parts[1]), spanID: String(parts[2]), parentSpanID: nil)
    }

    /// The finished span named `name`.
    func span(named name: String) -> FinishedInMemorySpan? {
        finishedSpans.first { $0.operationName == name }
    }
}
