"""Celery 5.7 canvas for Celeriac's interop tests: builds a workflow with Celery's own canvas, sends it, and
prints the result id, then the outcome line (JSON of the value, "FAILURE <type> <message>" or "TIMEOUT").

  canvas_client.py KIND [--queue Q] [--timeout N] [--no-wait]
      KIND: chain | group | chord | chord-fail | chord-in-chain | group-of-chains | chain-to-group | map
            | starmap | chunks | chord-sleep (16 x sleep(0.25) then xsum: 4.0)
  canvas_client.py restore-group GID [--timeout N]   -> GroupResult.restore(GID).get()
  canvas_client.py taskset-meta GID                   -> the raw celery-taskset-meta-GID value (or "null")
  canvas_client.py chord-keys GID                     -> JSON list of the celery-taskset-meta-GID.* keys left

Broker and result backend come from CELERY_BROKER_URL / CELERY_RESULT_BACKEND (see interop_tasks.py).
"""
import argparse
import json
import os
import sys

from celery import chain, chord, group
from celery.result import GroupResult

from client import _outcome
from interop_tasks import add, app, fail, sleep, xsum


def build(kind):
    if kind == "chain":
        return chain(add.s(1, 2), add.s(3), add.s(4))
    if kind == "group":
        return group(add.s(i, i) for i in range(5))
    if kind == "chord":
        return chord([add.s(i, i) for i in range(1, 6)], xsum.s())
    if kind == "chord-fail":
        return chord([add.s(1, 1), fail.s("boom").set(task_id="py-fail-member")], xsum.s())
    if kind == "chord-in-chain":
        return chain(add.s(1, 1), chord([add.s(1), add.s(2)], xsum.s()), add.s(10))
    if kind == "group-of-chains":
        return group(chain(add.s(1, 1), add.s(2)), chain(add.s(3, 3), add.s(4)))
    if kind == "chain-to-group":
        return chain(add.s(1, 1), group(add.s(1), add.s(2)))
    if kind == "chord-sleep":
        return chord([sleep.s(0.25) for _ in range(16)], xsum.s())
    if kind == "map":
        return xsum.map([[1, 2], [3, 4, 5]])
    if kind == "starmap":
        return add.starmap([(1, 2), (3, 4)])
    if kind == "chunks":
        return add.chunks([(1, 1), (2, 2), (3, 3)], 2)
    raise SystemExit(f"unknown canvas {kind}")


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("kind")
    parser.add_argument("gid", nargs="?")
    parser.add_argument("--queue")
    parser.add_argument("--timeout", type=float, default=20)
    parser.add_argument("--no-wait", action="store_true")
    ns = parser.parse_args(argv)
    if ns.kind == "taskset-meta":
        value = app.backend.client.get(app.backend.get_key_for_group(ns.gid))
        print(value.decode() if value else "null", flush=True)
        return 0
    if ns.kind == "chord-keys":
        pattern = app.backend.get_key_for_group(ns.gid) + ".*"
        print(json.dumps(sorted(k.decode() for k in app.backend.client.keys(pattern))), flush=True)
        return 0
    if ns.kind == "restore-group":
        result = GroupResult.restore(ns.gid, app=app)
        if result is None:
            print("NOT SAVED", flush=True)
            return 3
    else:
        options = {"queue": ns.queue} if ns.queue else {}
        result = build(ns.kind).apply_async(**options)
        if isinstance(result, GroupResult):
            result.save()
    print(result.id, flush=True)
    if ns.no_wait:
        return 0
    line = _outcome(result, ns.timeout)
    print(line if line is not None else "TIMEOUT", flush=True)
    return 0 if line is not None else 3


if __name__ == "__main__":
    status = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        app.close()
    except Exception:
        pass
    os._exit(status if isinstance(status, int) else 1)
