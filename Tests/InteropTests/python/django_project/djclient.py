"""Driver for the Django interop test, run from the project directory.

  djclient.py run NAME ARGS_JSON
      NAME.delay(*ARGS) from the Django project, then waits (up to 60 s) until Django's ORM shows the
      result as ready and prints one JSON line with the TaskResult row (TaskResult.objects.get(task_id=...))
      and what Celery's django-db backend reads back (AsyncResult(id).get(propagate=False)).

  djclient.py show TASK_ID
      Waits (up to 60 s) until Django's ORM shows the task TASK_ID, sent by someone else (a Hummingbird app),
      as ready, and prints one JSON line with its TaskResult row and what Celery reads back.
"""
import json
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djproj.settings")
# Celery takes CELERY_RESULT_BACKEND from the environment over the app's settings; the test harness sets it
# to its Redis, and here the backend must be the one configured below.
os.environ.pop("CELERY_RESULT_BACKEND", None)

import django  # noqa: E402

django.setup()

from celery import states  # noqa: E402
from django_celery_results.models import TaskResult  # noqa: E402

from demo.tasks import add, fail  # noqa: E402
from djproj.celery import app  # noqa: E402


def run(name, args):
    task = {"add": add, "fail": fail}[name]
    result = task.delay(*args)
    deadline = time.time() + 60
    while time.time() < deadline:
        row = TaskResult.objects.filter(task_id=result.id).first()
        if row is not None and row.status in states.READY_STATES:
            break
        time.sleep(0.2)
    row = TaskResult.objects.get(task_id=result.id)
    async_result = app.AsyncResult(result.id)
    value = async_result.get(timeout=10, propagate=False)
    print(json.dumps({
        "id": result.id,
        "status": row.status,
        "result": row.result,
        "traceback": row.traceback,
        "content_type": row.content_type,
        "content_encoding": row.content_encoding,
        "meta": row.meta,
        "task_name": row.task_name,
        "task_args": row.task_args,
        "task_kwargs": row.task_kwargs,
        "worker": row.worker,
        "date_done": row.date_done.isoformat(),
        "date_created": row.date_created.isoformat(),
        "date_started": row.date_started.isoformat() if row.date_started else None,
        "utc": row.date_done.utcoffset().total_seconds() == 0,
        "celery_state": async_result.state,
        "celery_value": value if async_result.state == states.SUCCESS else repr(value),
    }))


def show(task_id):
    deadline = time.time() + 60
    row = None
    while time.time() < deadline:
        row = TaskResult.objects.filter(task_id=task_id).first()
        if row is not None and row.status in states.READY_STATES:
            break
        time.sleep(0.2)
    if row is None:
        print(json.dumps({"id": task_id, "status": None}))
        return
    async_result = app.AsyncResult(task_id)
    value = async_result.get(timeout=10, propagate=False)
    print(json.dumps({
        "id": task_id,
        "status": row.status,
        "result": row.result,
        "traceback": row.traceback,
        "task_name": row.task_name,
        "task_args": row.task_args,
        "worker": row.worker,
        "celery_state": async_result.state,
        "celery_value": value if async_result.state == states.SUCCESS else repr(value),
    }))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "show":
        show(sys.argv[2])
        sys.exit(0)
    if len(sys.argv) != 4 or sys.argv[1] != "run":
        sys.exit(__doc__)
    run(sys.argv[2], json.loads(sys.argv[3]))
