"""interop_tasks (the same Celery 5.7 app and tasks) for the RabbitMQ interop tests, with the queue type from the
environment: INTEROP_QUEUE_TYPE=quorum sets task_default_queue_type='quorum' (x-queue-type on the declared queue,
native delayed delivery for countdowns). Run a worker with `celery -A rabbitmq_tasks worker ...`.
"""
import os

from interop_tasks import app  # noqa: F401  (registers the tasks)

if os.environ.get("INTEROP_QUEUE_TYPE"):
    app.conf.task_default_queue_type = os.environ["INTEROP_QUEUE_TYPE"]
