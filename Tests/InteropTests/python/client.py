"""A Celery 5.7 client for Celeriac's interop tests, driven from Swift one command at a time.

Broker and result backend come from CELERY_BROKER_URL / CELERY_RESULT_BACKEND (see interop_tasks.py).

  client.py delay NAME ARGS_JSON [--kwargs JSON] [--countdown N] [--expires N] [--eta ISO]
                                 [--priority N] [--queue Q]          -> prints the task id
      Task.apply_async on the registered task NAME (tasks.add, ...).
  client.py send_task NAME ARGS_JSON [same options]                  -> prints the task id
      app.send_task by name, for tasks the Python app does not define.
  client.py get ID [--timeout N]
      -> prints the result as one JSON line, or "FAILURE <exc_type> <message>" when .get() raises
         (TaskRevokedError for REVOKED), or "TIMEOUT" (exit status 3).
  client.py call NAME ARGS_JSON [options] [--timeout N] [--send-task]
      -> delay (or send_task) then get in one process; prints the id, the get line, then "elapsed <seconds>"
         measured from just before the send to the result.
  client.py batch --count N [--queue Q] [--timeout N]
      -> sends tasks.add(i, 1000) for i < N, waits for all; prints one JSON object
         {"ids": [...], "results": {id: value}, "errors": {id: text}}.
  client.py send-many NAME ARGS_JSON --count N [--queue Q]   -> prints the N task ids, one a line
  client.py redis-state [--queue Q]
      -> one JSON object: the lengths of the queue's 4 priority lists, of `unacked` and `unacked_index`,
         and the number of celery-task-meta-* keys.
  client.py meta ID  -> the raw stored result meta (JSON) or "null".
"""
import argparse
import datetime
import json
import os
import sys
import time

from celery.exceptions import TimeoutError as CeleryTimeoutError

from interop_tasks import BROKER_URL, RESULT_BACKEND, app

PRIORITY_SEP = "\x06\x16"
PRIORITY_STEPS = [0, 3, 6, 9]


def _parse_eta(text):
    eta = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if eta.tzinfo is None:
        eta = eta.replace(tzinfo=datetime.timezone.utc)
    return eta


def _options(ns):
    options = {}
    if ns.countdown is not None:
        options["countdown"] = ns.countdown
    if ns.expires is not None:
        try:
            options["expires"] = float(ns.expires)
        except ValueError:
            options["expires"] = _parse_eta(ns.expires)
    if ns.eta is not None:
        options["eta"] = _parse_eta(ns.eta)
    if ns.priority is not None:
        options["priority"] = ns.priority
    if ns.queue is not None:
        options["queue"] = ns.queue
    return options


def _send(ns, by_name):
    args = json.loads(ns.args_json)
    kwargs = json.loads(ns.kwargs) if ns.kwargs else {}
    if not isinstance(args, list) or not isinstance(kwargs, dict):
        raise SystemExit("ARGS_JSON must be a JSON list and --kwargs a JSON object")
    if by_name:
        return app.send_task(ns.name, args=args, kwargs=kwargs, **_options(ns))
    if ns.name not in app.tasks:
        raise SystemExit(f"task {ns.name} is not defined in interop_tasks; use send_task")
    return app.tasks[ns.name].apply_async(args=args, kwargs=kwargs, **_options(ns))


def _outcome(result, timeout):
    """The get line: JSON of the value, FAILURE <type> <message>, or None on timeout."""
    try:
        value = result.get(timeout=timeout, propagate=True, disable_sync_subtasks=False)
    except CeleryTimeoutError:
        return None
    except Exception as exc:  # the task's exception, rebuilt by Celery
        message = exc.args[0] if len(exc.args) == 1 else (str(exc) if exc.args else "")
        return f"FAILURE {type(exc).__name__} {message}"
    return json.dumps(value, sort_keys=True)


def cmd_send(ns, by_name):
    print(_send(ns, by_name).id, flush=True)
    return 0


def cmd_get(ns):
    line = _outcome(app.AsyncResult(ns.id), ns.timeout)
    if line is None:
        print("TIMEOUT", flush=True)
        return 3
    print(line, flush=True)
    return 0


def cmd_call(ns):
    started = time.monotonic()
    result = _send(ns, ns.send_task)
    print(result.id, flush=True)
    line = _outcome(result, ns.timeout)
    elapsed = time.monotonic() - started
    if line is None:
        print("TIMEOUT", flush=True)
        print(f"elapsed {elapsed:.3f}", flush=True)
        return 3
    print(line, flush=True)
    print(f"elapsed {elapsed:.3f}", flush=True)
    return 0


def cmd_batch(ns):
    add = app.tasks["tasks.add"]
    options = {"queue": ns.queue} if ns.queue else {}
    results = [add.apply_async(args=[i, 1000], **options) for i in range(ns.count)]
    deadline = time.monotonic() + ns.timeout
    out = {"ids": [r.id for r in results], "results": {}, "errors": {}}
    for r in results:
        remaining = max(0.1, deadline - time.monotonic())
        line = _outcome(r, remaining)
        if line is None:
            out["errors"][r.id] = "TIMEOUT"
        elif line.startswith("FAILURE "):
            out["errors"][r.id] = line
        else:
            out["results"][r.id] = json.loads(line)
    print(json.dumps(out), flush=True)
    return 0


def cmd_send_many(ns):
    task = app.tasks[ns.name]
    args = json.loads(ns.args_json)
    options = {"queue": ns.queue} if ns.queue else {}
    for _ in range(ns.count):
        print(task.apply_async(args=args, **options).id, flush=True)
    return 0


def _redis():
    import redis
    return redis.Redis.from_url(BROKER_URL), redis.Redis.from_url(RESULT_BACKEND)


def cmd_redis_state(ns):
    broker, backend = _redis()
    queue = ns.queue or app.conf.task_default_queue
    lists = {}
    for step in PRIORITY_STEPS:
        key = queue if step == 0 else f"{queue}{PRIORITY_SEP}{step}"
        lists[str(step)] = broker.llen(key)
    state = {
        "queue": queue,
        "lists": lists,
        "ready": sum(lists.values()),
        "unacked": broker.hlen("unacked"),
        "unacked_index": broker.zcard("unacked_index"),
        "results": sum(1 for _ in backend.scan_iter(match="celery-task-meta-*", count=1000)),
        "bindings": {
            key.decode("utf-8", "replace"): sorted(m.decode("utf-8", "replace") for m in broker.smembers(key))
            for key in broker.scan_iter(match="_kombu.binding.*", count=1000)
        },
    }
    print(json.dumps(state, sort_keys=True), flush=True)
    return 0


def cmd_meta(ns):
    _, backend = _redis()
    raw = backend.get(f"celery-task-meta-{ns.id}")
    print(raw.decode("utf-8") if raw is not None else "null", flush=True)
    return 0


def _add_send_options(p):
    p.add_argument("name")
    p.add_argument("args_json", nargs="?", default="[]")
    p.add_argument("--kwargs", default=None)
    p.add_argument("--countdown", type=float, default=None)
    p.add_argument("--expires", default=None, help="seconds from now (may be negative) or an ISO 8601 time")
    p.add_argument("--eta", default=None)
    p.add_argument("--priority", type=int, default=None)
    p.add_argument("--queue", default=None)


def main(argv):
    parser = argparse.ArgumentParser(prog="client.py")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_send_options(sub.add_parser("delay"))
    _add_send_options(sub.add_parser("send_task"))
    p = sub.add_parser("get")
    p.add_argument("id")
    p.add_argument("--timeout", type=float, default=10.0)
    p = sub.add_parser("call")
    _add_send_options(p)
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--send-task", action="store_true")
    p = sub.add_parser("batch")
    p.add_argument("--count", type=int, default=200)
    p.add_argument("--queue", default=None)
    p.add_argument("--timeout", type=float, default=60.0)
    p = sub.add_parser("send-many")
    p.add_argument("name")
    p.add_argument("args_json")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--queue", default=None)
    p = sub.add_parser("redis-state")
    p.add_argument("--queue", default=None)
    p = sub.add_parser("meta")
    p.add_argument("id")
    ns = parser.parse_args(argv)
    try:
        if ns.command == "delay":
            return cmd_send(ns, by_name=False)
        if ns.command == "send_task":
            return cmd_send(ns, by_name=True)
        if ns.command == "get":
            return cmd_get(ns)
        if ns.command == "call":
            return cmd_call(ns)
        if ns.command == "batch":
            return cmd_batch(ns)
        if ns.command == "send-many":
            return cmd_send_many(ns)
        if ns.command == "redis-state":
            return cmd_redis_state(ns)
        if ns.command == "meta":
            return cmd_meta(ns)
    finally:
        # Close the pools so no thread (result consumer, pubsub) keeps the process alive.
        try:
            app.close()
        except Exception:
            pass
    return 2


if __name__ == "__main__":
    status = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: AsyncResult.__del__ and kombu's threads would talk to closed pools.
    os._exit(status if isinstance(status, int) else 1)
