"""The Python side of Celeriac's interop tests: a real Celery 5.7 app with the same task names as the
Swift example app (Sources/CeleriacExample/ExampleTasks.swift), plus tasks only Python knows.

Configured from the environment:
  CELERY_BROKER_URL      broker URL (redis://127.0.0.1:PORT/0)
  CELERY_RESULT_BACKEND  result backend URL (default: the broker URL)
  INTEROP_QUEUE          the default queue (default: "celery")

Run a worker with:  celery -A interop_tasks worker -P solo -c 1 -Q q --without-gossip --without-mingle -l info
"""
import os
import time

from celery import Celery

BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or BROKER_URL

app = Celery("interop", broker=BROKER_URL, backend=RESULT_BACKEND)
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    result_accept_content=["json"],
    task_default_queue=os.environ.get("INTEROP_QUEUE", "celery"),
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=True,
    worker_redirect_stdouts=False,
    enable_utc=True,
    timezone="UTC",
)


# The Swift example app's tasks, with the same names, arguments and results.

@app.task(name="tasks.add")
def add(x, y):
    return x + y


@app.task(name="tasks.mul")
def mul(x, y):
    return x * y


@app.task(name="tasks.xsum")
def xsum(numbers):
    return sum(numbers)


@app.task(name="tasks.echo")
def echo(value):
    return value


@app.task(name="tasks.noop")
def noop():
    return None


@app.task(name="tasks.sleep")
def sleep(seconds):
    time.sleep(max(0.0, float(seconds)))
    return seconds


@app.task(name="tasks.fail")
def fail(message):
    raise ValueError(message)


@app.task(name="tasks.retrying", bind=True, max_retries=None)
def retrying(self, times):
    """Retries with countdown 0 until request.retries == times, then returns times."""
    if self.request.retries < times:
        raise self.retry(countdown=0)
    return times


# Tasks only the Python side knows: a Swift client calls them by name.

@app.task(name="interop.pyonly")
def pyonly(value, suffix="!"):
    return {"lang": "py", "value": value, "suffix": suffix}


@app.task(name="interop.request_info", bind=True)
def request_info(self, *args, **kwargs):
    """What the Python worker made of the message a (Swift) client sent."""
    request = self.request
    delivery = request.delivery_info or {}
    return {
        "args": list(args),
        "kwargs": kwargs,
        "id": request.id,
        "task": self.name,
        "retries": request.retries,
        "eta": request.eta,
        "expires": request.expires,
        "root_id": request.root_id,
        "parent_id": request.parent_id,
        "argsrepr": request.argsrepr,
        "kwargsrepr": request.kwargsrepr,
        "origin": request.origin,
        "ignore_result": request.ignore_result,
        "routing_key": delivery.get("routing_key"),
        "exchange": delivery.get("exchange"),
        "priority": delivery.get("priority"),
        "redelivered": delivery.get("redelivered"),
        # Headers Celery does not know land on the request too: how opentelemetry-instrumentation-celery reads
        # W3C trace context (getattr(task.request, "traceparent")).
        "traceparent": getattr(request, "traceparent", None),
        "tracestate": getattr(request, "tracestate", None),
    }
