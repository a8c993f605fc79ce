"""A Celery app on RabbitMQ with the rpc:// result backend, for Celeriac's rpc and quorum queue tests.

Environment: CELERIAC_RMQ_BROKER (broker URL), CELERIAC_RMQ_QUEUE (the task queue), CELERIAC_RMQ_QUORUM=1 for a
quorum queue on a topic exchange of the same name (so countdowns use native delayed delivery),
CELERIAC_RMQ_MAX_PRIORITY for task_queue_max_priority.
"""
import os

from celery import Celery

app = Celery("rmq_rpc_app", broker=os.environ["CELERIAC_RMQ_BROKER"], backend="rpc://")
queue = os.environ.get("CELERIAC_RMQ_QUEUE", "celery")
app.conf.broker_connection_retry_on_startup = True
app.conf.task_default_queue = queue
app.conf.task_default_exchange = queue
app.conf.task_default_routing_key = queue
if os.environ.get("CELERIAC_RMQ_QUORUM") == "1":
    app.conf.task_default_queue_type = "quorum"
    app.conf.task_default_exchange_type = "topic"
if os.environ.get("CELERIAC_RMQ_MAX_PRIORITY"):
    app.conf.task_queue_max_priority = int(os.environ["CELERIAC_RMQ_MAX_PRIORITY"])


@app.task(name="tests.add")
def add(x, y):
    return x + y


@app.task(name="tests.fail")
def fail(message):
    raise ValueError(message)
