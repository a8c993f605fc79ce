"""Driver for the Django interop test with a Redis result backend, run from the project directory.

  djclient_redis.py run NAME ARGS_JSON

The project is configured the classic way (CELERY_ settings in settings.py); CELERY_RESULT_BACKEND in the
environment (the test's Redis) takes over settings.py's `django-db`, as it does for any Celery app configured with
`config_from_object(..., namespace="CELERY")`. Sends NAME.delay(*ARGS), waits for the result with
AsyncResult.get() and prints one JSON line: the id, the backend class, the state and the value (or the error).
"""
import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djproj.settings")

import django  # noqa: E402

django.setup()

from demo.tasks import add, fail  # noqa: E402
from djproj.celery import app  # noqa: E402


def run(name, args):
    task = {"add": add, "fail": fail}[name]
    result = task.delay(*args)
    try:
        value = result.get(timeout=60)
        error = None
    except Exception as exc:  # the task's own exception, re-raised by get()
        value = None
        error = {"type": type(exc).__name__, "args": [str(a) for a in exc.args]}
    print(json.dumps({
        "id": result.id,
        "backend": type(app.backend).__name__,
        "state": result.state,
        "value": value,
        "error": error,
        "traceback": result.traceback,
    }))


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "run":
        sys.exit(__doc__)
    run(sys.argv[2], json.loads(sys.argv[3]))
