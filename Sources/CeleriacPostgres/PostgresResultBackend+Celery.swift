import Celeriac
import Foundation
import NIOCore
import PostgresNIO

/// Celery's `db+postgresql://` rows (`celery/backends/database/__init__.py:DatabaseBackend._update_result`):
/// `result`, `children`, `args`, `kwargs` are the result serializer's JSON bytes in `bytea`; `date_done` is
/// naive UTC for ready states and NULL otherwise; the extended columns are NULL without `result_extended`.
extension PostgresResultBackend {
    /// Upserts the row; the id comes from `task_id_sequence`, as SQLAlchemy inserts it.
    func storeCelery(_ meta: ResultMeta) async throws {
        let result = ByteBuffer(bytes: meta.result.serializedBytes(.python))
        let children = meta.children.isEmpty ? nil : ByteBuffer(bytes: JSONValue.array(meta.children).serializedBytes(.python))
        let dateDone: String? = meta.status.isReady ? (meta.dateDone.flatMap(Self.utcText) ?? Self.utcText(Date())) : nil
        let extended = meta.extended
        let args = extended.map { ByteBuffer(bytes: JSONValue.array($0.args).serializedBytes(.python)) }
        let kwargs = extended.map { ByteBuffer(bytes: JSONValue.object($0.kwargs).serializedBytes(.python)) }
        let name = extended?.name
        let worker = extended?.worker
        let retries = extended?.retries
        let queue = extended?.queue
        let taskID = meta.taskID
        let status = meta.status.rawValue
        let traceback = meta.traceback
        try await perform("storing a result") { client in
            try await client.exec(
                """
                INSERT INTO celery_taskmeta (id, task_id, status, result, date_done, traceback, children, name, args, kwargs, worker, retries, queue)
                VALUES (nextval('task_id_sequence'), \(taskID), \(status), \(result), (\(dateDone)::timestamptz AT TIME ZONE 'UTC'), \(traceback),
                    \(children), \(name), \(args), \(kwargs), \(worker), \(retries), \(queue))
                ON CONFLICT (task_id) DO UPDATE SET status = EXCLUDED.status, result = EXCLUDED.result, date_done = EXCLUDED.date_done,
                    traceback = EXCLUDED.traceback, children = EXCLUDED.children, name = EXCLUDED.name, args = EXCLUDED.args,
                    kwargs = EXCLUDED.kwargs, worker = EXCLUDED.worker, retries = EXCLUDED.retries, queue = EXCLUDED.queue
                WHERE celery_taskmeta.status IS DISTINCT FROM 'SUCCESS'
                """)
        }
    }

    /// Reads the row as Celery's `DatabaseBackend._get_task_meta_for` does.
    func celeryMeta(for taskID: String) async throws -> ResultMeta? {
        typealias Row = (String?, ByteBuffer?, String?, String?, ByteBuffer?, String?, ByteBuffer?, ByteBuffer?, String?, Int?, String?)
        let row: Row? = try await perform("reading a result") { client in
            let rows = try await client.query(
                """
                SELECT status, result, to_char(date_done, 'YYYY-MM-DD"T"HH24:MI:SS.US'), traceback, children,
                    name, args, kwargs, worker, retries, queue
                FROM celery_taskmeta WHERE task_id = \(taskID)
                """)
            var found: Row?
            for try await row in rows.decode(Row.self) { found = row }
            return found
        }
        guard let row else { return nil }
        let result = try Self.decodeStored(row.1, column: "result", taskID: taskID) ?? .null
        let children = try Self.decodeStored(row.4, column: "children", taskID: taskID)?.arrayValue ?? []
        var meta = ResultMeta(
            taskID: taskID, status: TaskState(rawValue: row.0 ?? "PENDING"), result: result, traceback: row.3, children: children,
            dateDone: row.2.map(Self.isoText))
        if row.5 != nil || row.8 != nil {
            meta.extended = ResultMeta.Extended(
                name: row.5, args: try Self.decodeStored(row.6, column: "args", taskID: taskID)?.arrayValue ?? [],
                kwargs: try Self.decodeStored(row.7, column: "kwargs", taskID: taskID)?.objectValue ?? [:],
                worker: row.8, retries: row.9 ?? 0, queue: row.10)
        }
        return meta
    }

    /// Decodes a `bytea` column that holds the result serializer's JSON. A pickle (rows from before
    /// celery#3025, or `result_serializer = 'pickle'`) or a `result_compression` payload is reported, not guessed.
    static func decodeStored(_ buffer: ByteBuffer?, column: String, taskID: String) throws -> JSONValue? {
        guard let buffer else { return nil }
        let bytes = Array(buffer.readableBytesView)
        if bytes.first == 0x80 {
            throw CeleriacError(
                .malformedResult, "the stored \(column) is a Python pickle; Celeriac reads JSON results only (result_serializer = 'json')",
                taskID: taskID)
        }
        if bytes.starts(with: Array("\u{0}celery-compressed\u{0}".utf8)) {
            throw CeleriacError(.malformedResult, "the stored \(column) is compressed (result_compression); Celeriac reads uncompressed JSON", taskID: taskID)
        }
        do {
            return try JSONValue.parse(bytes)
        } catch {
            throw CeleriacError(.malformedResult, "the stored \(column) is not JSON", taskID: taskID, underlying: error)
        }
    }

    /// `"2026-11-26T03:51:03.803034+00:00"` (any offset) as `"2026-11-26T03:51:03.803034+00:00"` for a
    /// `::timestamptz` cast: the text carries its offset, so the session's TimeZone cannot shift it.
    static func utcText(_ iso: String) -> String? {
        CeleryTimestamp.parse(iso).map(utcText)
    }

    /// The instant as ISO text in UTC with an explicit offset.
    static func utcText(_ date: Date) -> String { CeleryTimestamp.format(date) }

    /// `to_char(..., 'YYYY-MM-DD"T"HH24:MI:SS.US')` of a UTC value as Python's `isoformat()` of an aware UTC
    /// datetime (no fraction when it is zero).
    static func isoText(_ text: String) -> String {
        var text = text
        if text.hasSuffix(".000000") { text.removeLast(7) }
        return text + "+00:00"
    }
}
