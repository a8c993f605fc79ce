import Celeriac
import CeleriacTesting
import Foundation
import Testing

extension InteropTests {
    /// W3C trace context in Celery headers, as Celeriac's publish span writes it (`traceparent`/`tracestate`
    /// among the message's top-level headers): a Python Celery 5.7 worker accepts the message and exposes the
    /// headers on `task.request`, where `opentelemetry-instrumentation-celery` reads them.
    @Suite("Trace context headers")
    struct TraceHeaders {
        @Test("a Python worker runs a Swift message carrying traceparent and sees it on task.request")
        func pythonWorkerReadsTraceHeaders() async throws {
            try await InteropSandbox.run { sandbox in
                let worker = try await sandbox.startPythonWorker()
                let traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
                let app = CeleriacApp(broker: InMemoryBroker(), backend: nil)
                // The headers exactly where TaskTracing.HeaderInjector puts them.
                let (message, _) = app.makeMessage(
                    name: "interop.request_info", args: [1], kwargs: [:],
                    options: CallOptions(queue: sandbox.queue, headers: ["traceparent": .string(traceparent), "tracestate": "celeriac=1"]))
                let envelope = String(decoding: message.envelopeBytes(), as: UTF8.self)
                let script = (Interop.pythonDirectory as NSString).appendingPathComponent("trace_headers.py")
                let output = try await sandbox.run("python-trace-headers", executable: sandbox.python, [script, sandbox.queue, envelope], timeout: .seconds(40))
                #expect(output.succeeded, "\(output)\n\(worker.tail())")
                let info = try #require(JSONLine.parse(output.lines.last ?? ""), "\(output)\n\(worker.tail())")
                #expect(info["id"] == .string(message.headers.id), "\(info)")
                #expect(info["args"] == .array([.int(1)]), "\(info)")
                #expect(info["traceparent"] == .string(traceparent), "\(info)")
                #expect(info["tracestate"] == .string("celeriac=1"), "\(info)")
            }
        }
    }
}
