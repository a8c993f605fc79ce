"""Celery's own database result backend reading a Swift worker's result (no Django).

  celery_db_client.py BROKER BACKEND QUEUE NAME ARGS_JSON
      app.send_task(NAME, ARGS) with result_backend = BACKEND (db+postgresql+psycopg2://...), then
      AsyncResult.get(propagate=False); prints one JSON line: id, state, result (or repr of the exception),
      traceback, and the extended fields (name, args, kwargs, worker, queue) and date_done.
"""
import json
import os
import sys

from celery import Celery, states
# Celery takes CELERY_RESULT_BACKEND from the environment over the app's settings; the test harness sets it
# to its Redis, and here the backend must be the one configured below.
os.environ.pop("CELERY_RESULT_BACKEND", None)

broker, backend, queue, name, args = sys.argv[1:6]
app = Celery("dbclient", broker=broker, backend=backend)
app.conf.update(task_default_queue=queue, result_extended=True)
result = app.send_task(name, args=json.loads(args), queue=queue)
value = result.get(timeout=30, propagate=False)
print(json.dumps({
    "id": result.id,
    "state": result.state,
    "result": value if result.state == states.SUCCESS else repr(value),
    "traceback": result.traceback,
    "name": result.name,
    "args": result.args,
    "kwargs": result.kwargs,
    "worker": result.worker,
    "queue": result.queue,
    "date_done": result.date_done.isoformat() if result.date_done else None,
}))
