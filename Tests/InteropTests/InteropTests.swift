import Testing

/// Interop with real Python Celery 5.7 on a real Redis: a Python client with the Swift worker, the Swift client
/// with a Python worker, and both workers on one queue.
///
/// Every test starts its own `redis-server` on a free port and its own workers, and stops them all. The Python
/// side is `python/interop_tasks.py` (the same task names as the Swift example app) and `python/client.py`,
/// run from the venv `scripts/interop-env.sh` makes (`CELERIAC_INTEROP_PYTHON`). Locally the tests skip when
/// redis-server or the venv is missing; with `CI=true` they fail.
///
/// Serialized: each test runs several processes, and the machine may have 2 cores.
@Suite("Interop with Python Celery", .serialized, .enabled(if: Interop.shouldRun), .timeLimit(.minutes(3)))
struct InteropTests {}
