"""A tiny Celery app on RabbitMQ for Celeriac's RabbitMQ broker tests.

The broker URL comes from CELERIAC_RMQ_BROKER, the result backend (optional) from CELERIAC_RMQ_BACKEND.
"""
import os

from celery import Celery

app = Celery("rmq_tasks", broker=os.environ["CELERIAC_RMQ_BROKER"], backend=os.environ.get("CELERIAC_RMQ_BACKEND") or None)
app.conf.broker_connection_retry_on_startup = True


@app.task(name="tests.add")
def add(x, y):
    result = x + y
    marker = os.environ.get("CELERIAC_RMQ_MARKER")
    if marker:
        with open(marker, "a") as f:
            f.write("%s\n" % result)
    return result
