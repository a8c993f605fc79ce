import Celeriac
import CeleriacTesting
import InMemoryTracing
import Testing
import Tracing

/// A trace that starts in a (simulated) web handler follows the task through the broker into the worker: the
/// message carries W3C `traceparent`/`tracestate`, the worker continues the trace, and the task code runs inside
/// the worker's span. The tracer is bound with `withTracer`, so other suites in this process see no tracer.
@Suite("Tracing: W3C trace context through the broker")
struct TracingPropagationTests {
    @Test func handlerPublishAndWorkerShareOneTrace() async throws {
        let tracer = W3CTestTracer()
        let h = WorkerHarness()
        let seen = Probe<InMemorySpanContext?>()
        h.app.registry.register(addTask) { args, _ in
            seen.append(ServiceContext.current?.inMemorySpanContext)
            return args.x + args.y
        }
        try await withTracer(tracer) {
            let result = try await tracer.withSpan("GET /add", ofKind: .server) { _ in
                try await h.app.delay(addTask, AddArguments(x: 2, y: 3))
            }
            let value = try await h.withWorker { _ in try await result.get(timeout: .seconds(10)) }
            #expect(value == 5)

            let handler = try #require(tracer.span(named: "GET /add"))
            let publish = try #require(tracer.span(named: "tests.add publish"))
            let process = try #require(tracer.span(named: "tests.add process"))
            #expect(handler.traceID.count == 32)
            #expect(publish.traceID == handler.traceID)
            #expect(process.traceID == handler.traceID)
            #expect(publish.parentSpanID == handler.spanID)
            #expect(process.parentSpanID == publish.spanID)
            #expect(publish.kind == .producer)
            #expect(process.kind == .consumer)

            // The message carries the publish span's context in Celery's headers, as Python's OpenTelemetry does.
            let message = try #require(try h.publishedMessages(of: result.id).first)
            #expect(message.headers.extra["traceparent"] == .string("00-\(handler.traceID)-\(publish.spanID)-01"))
            #expect(message.headers.extra["tracestate"] == .string("celeriac=test"))

            // The task code ran with the worker's span as the current context.
            #expect(seen.all.map { $0?.spanID } == [process.spanID])

            #expect(publish.attributes.get("messaging.message.id") == .string(result.id))
            #expect(publish.attributes.get("messaging.destination.name") == .string("celery"))
            #expect(process.attributes.get("celery.state") == .string("SUCCESS"))
            #expect(process.attributes.get("celery.task_name") == .string("tests.add"))
            #expect(process.attributes.get("celery.hostname") == .string("celery@test"))
        }
    }

    /// A message from another producer (Python Celery with opentelemetry-instrumentation-celery) carries only the
    /// headers; the worker continues that trace.
    @Test func workerContinuesATraceparentHeaderFromAnotherProducer() async throws {
        let tracer = W3CTestTracer()
        let h = WorkerHarness()
        h.app.registry.register(addTask) { args, _ in args.x + args.y }
        let trace = "0af7651916cd43dd8448eb211c80319c"
        let parent = "b7ad6b7169203331"
        // Published without a tracer: the headers are passed through as given.
        let result = try await h.app.applyAsync(
            addTask, AddArguments(x: 1, y: 1), options: CallOptions(headers: ["traceparent": .string("00-\(trace)-\(parent)-01")]))
        let value = try await withTracer(tracer) {
            try await h.withWorker { _ in try await result.get(timeout: .seconds(10)) }
        }
        #expect(value == 2)
        let process = try #require(tracer.span(named: "tests.add process"))
        #expect(process.traceID == trace)
        #expect(process.parentSpanID == parent)
        #expect(tracer.span(named: "tests.add publish") == nil)
    }

    @Test func failureMarksTheSpanAndRetryIsAChildOfTheRun() async throws {
        let tracer = W3CTestTracer()
        let h = WorkerHarness()
        h.app.registry.register(name: "tests.flaky") { _, _, context in
            if context.retries == 0 { try context.retry(countdown: 0) }
            throw TaskError.valueError("broken")
        }
        try await withTracer(tracer) {
            let result = try await h.app.send(name: "tests.flaky")
            try await h.withWorker { _ in
                _ = try? await result.get(timeout: .seconds(10))
                #expect(await eventually { tracer.finishedSpans.filter { $0.operationName == "tests.flaky process" }.count == 2 })
            }
            let runs = tracer.finishedSpans.filter { $0.operationName == "tests.flaky process" }
            let publishes = tracer.finishedSpans.filter { $0.operationName == "tests.flaky publish" }
            try #require(runs.count == 2 && publishes.count == 2)
            let first = try #require(runs.first { $0.attributes.get("celery.state") == .string("RETRY") })
            let second = try #require(runs.first { $0.attributes.get("celery.state") == .string("FAILURE") })
            #expect(second.status?.code == .error)
            #expect(second.status?.message?.contains("broken") == true)
            // The retry was published from inside the first run, so the second run descends from it.
            let retryPublish = try #require(publishes.first { $0.parentSpanID == first.spanID })
            #expect(second.parentSpanID == retryPublish.spanID)
            #expect(Set(runs.map(\.traceID)).count == 1)
            let retryMessage = try #require(try h.publishedMessages(of: result.id).last)
            #expect(retryMessage.headers.extra["traceparent"] == .string("00-\(first.traceID)-\(retryPublish.spanID)-01"))
        }
    }

    /// With no tracer set up nothing is added: the message is exactly what Celery would send.
    @Test func noTracerAddsNoHeaders() async throws {
        let h = WorkerHarness()
        let result = try await h.app.send(name: "tests.anything", args: [1])
        let message = try #require(try h.publishedMessages(of: result.id).first)
        #expect(message.headers.extra["traceparent"] == nil)
        #expect(message.headers.extra.pairs.isEmpty)
    }

    @Test func headerInjectorAndExtractorUseTopLevelHeaders() {
        var headers: JSONObject = ["custom": "kept"]
        TaskTracing.HeaderInjector().inject("00-abc-def-01", forKey: "traceparent", into: &headers)
        #expect(headers.pairs.map(\.key) == ["custom", "traceparent"])
        #expect(TaskTracing.HeaderExtractor().extract(key: "traceparent", from: headers) == "00-abc-def-01")
        #expect(TaskTracing.HeaderExtractor().extract(key: "custom", from: ["custom": 1]) == nil)
    }
}
