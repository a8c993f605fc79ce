import Celeriac
import Foundation
import NIOCore
import PostgresNIO

/// django-celery-results' rows (`django_celery_results/backends/database.py:DatabaseBackend._store_result`,
/// `managers.py:TaskResultManager.store_result`): JSON text with `content_type`/`content_encoding`,
/// `meta = {"children": [...]}`, `date_done` set on every save (`auto_now`), `date_created` on the first,
/// `date_started` when STARTED is stored. The extended columns (`task_args`/`task_kwargs` as JSON strings of
/// Python's repr, `task_name`, `worker`) and, as django-celery-results does, the traceback are written only with
/// `result_extended`.
extension PostgresResultBackend {
    /// Upserts the row (the id is the table's identity).
    func storeDjango(_ meta: ResultMeta) async throws {
        let now = Self.utcText(Date())
        let taskID = meta.taskID
        let status = meta.status.rawValue
        let result = meta.result.serialized(.python)
        let encodedMeta = JSONValue.object(["children": .array(meta.children)]).serialized(.python)
        let extended = meta.extended
        // django-celery-results overwrites the traceback with the extended fields' None without result_extended.
        let traceback = extended == nil ? nil : meta.traceback
        let taskArgs = extended.map { JSONValue.string(PythonRepr.tuple($0.args)).serialized(.python) }
        let taskKwargs = extended.map { JSONValue.string(PythonRepr.dict($0.kwargs)).serialized(.python) }
        let taskName = extended?.name
        let worker = extended?.worker
        let periodicTaskName = extended?.periodicTaskName
        let started = meta.status == .started ? "now()" : "NULL::timestamptz"
        try await perform("storing a result") { client in
            try await client.exec(
                """
                INSERT INTO django_celery_results_taskresult (task_id, status, content_type, content_encoding, result, date_done,
                    traceback, meta, task_args, task_kwargs, task_name, worker, date_created, periodic_task_name, date_started)
                VALUES (\(taskID), \(status), 'application/json', 'utf-8', \(result), \(now)::timestamptz, \(traceback), \(encodedMeta),
                    \(taskArgs), \(taskKwargs), \(taskName), \(worker), \(now)::timestamptz, \(periodicTaskName), \(unescaped: started))
                ON CONFLICT (task_id) DO UPDATE SET status = EXCLUDED.status, content_type = EXCLUDED.content_type,
                    content_encoding = EXCLUDED.content_encoding, result = EXCLUDED.result, date_done = EXCLUDED.date_done,
                    traceback = EXCLUDED.traceback, meta = EXCLUDED.meta, task_args = EXCLUDED.task_args,
                    task_kwargs = EXCLUDED.task_kwargs, task_name = EXCLUDED.task_name, worker = EXCLUDED.worker,
                    periodic_task_name = EXCLUDED.periodic_task_name,
                    date_started = COALESCE(EXCLUDED.date_started, django_celery_results_taskresult.date_started)
                WHERE django_celery_results_taskresult.status IS DISTINCT FROM 'SUCCESS'
                """)
        }
    }

    /// Reads the row as django-celery-results' `_get_task_meta_for` does (children from `meta`).
    func djangoMeta(for taskID: String) async throws -> ResultMeta? {
        typealias Row = (String, String, String, String?, String, String?, String?, String?, String?)
        let row: Row? = try await perform("reading a result") { client in
            let rows = try await client.query(
                """
                SELECT status, content_type, content_encoding, result,
                    to_char(date_done AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), traceback, meta, task_name, worker
                FROM django_celery_results_taskresult WHERE task_id = \(taskID)
                """)
            var found: Row?
            for try await row in rows.decode(Row.self) { found = row }
            return found
        }
        guard let row else { return nil }
        guard row.2 != "binary" else {
            throw CeleriacError(
                .malformedResult, "the stored result is \(row.1) in base64 (a binary result_serializer); Celeriac reads JSON results only",
                taskID: taskID)
        }
        let result = try Self.decodeText(row.3, column: "result", taskID: taskID) ?? .null
        let stored = try Self.decodeText(row.6, column: "meta", taskID: taskID)?.objectValue ?? [:]
        let status = TaskState(rawValue: row.0)
        var meta = ResultMeta(
            taskID: taskID, status: status, result: result, traceback: row.5, children: stored["children"]?.arrayValue ?? [],
            dateDone: status.isReady ? Self.isoText(row.4) : nil)
        if row.7 != nil || row.8 != nil {
            meta.extended = ResultMeta.Extended(name: row.7, args: [], kwargs: [:], worker: row.8, retries: 0, queue: nil)
        }
        return meta
    }

    /// Parses a JSON text column; empty or NULL is `nil` (django-celery-results' `decode_content`).
    static func decodeText(_ text: String?, column: String, taskID: String) throws -> JSONValue? {
        guard let text, !text.isEmpty else { return nil }
        do {
            return try JSONValue.parse(text)
        } catch {
            throw CeleriacError(.malformedResult, "the stored \(column) is not JSON", taskID: taskID, underlying: error)
        }
    }
}
