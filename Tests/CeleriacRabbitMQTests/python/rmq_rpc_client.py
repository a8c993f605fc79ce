"""Sends tasks with Celery 5.7 and reads their results through rpc://; prints one JSON line per result.

Usage: rmq_rpc_client.py basic            add(2, 3), fail("kaboom"), then add(i, i) for i in 0..4
       rmq_rpc_client.py countdown <s>    add(20, 22) with countdown=<s>, and the seconds until its result
       rmq_rpc_client.py priorities       six tests.add with priorities 0, 9, 3, 9, 0, 5 (no result read)
"""
import json
import sys
import time

from rmq_rpc_app import add, app, fail


def emit(**fields):
    print("RESULT " + json.dumps(fields), flush=True)


mode = sys.argv[1]
if mode == "basic":
    r = add.delay(2, 3)
    emit(kind="add", id=r.id, value=r.get(timeout=60), state=r.state)
    f = fail.delay("kaboom")
    try:
        f.get(timeout=60)
        emit(kind="fail", id=f.id, error=None)
    except Exception as exc:  # noqa: BLE001
        emit(kind="fail", id=f.id, error=type(exc).__name__, message=str(exc), state=f.state, traceback=f.traceback)
    results = [add.delay(i, i) for i in range(5)]
    emit(kind="many", values=[r.get(timeout=60) for r in results])
elif mode == "countdown":
    started = time.monotonic()
    r = add.apply_async((20, 22), countdown=int(sys.argv[2]))
    value = r.get(timeout=90)
    emit(kind="countdown", id=r.id, value=value, elapsed=time.monotonic() - started)
elif mode == "priorities":
    ids = []
    for priority in (0, 9, 3, 9, 0, 5):
        ids.append([add.apply_async((priority, 0), priority=priority).id, priority])
    emit(kind="priorities", ids=ids)
else:
    sys.exit("unknown mode " + mode)
app.close()
