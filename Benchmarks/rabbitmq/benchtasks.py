"""The Celery app both workers are measured with on RabbitMQ: tasks.noop and tasks.add, named as Celeriac's example
names them.

Env: BENCH_URL (amqp://guest:guest@127.0.0.1:PORT//), BENCH_BACKEND (rpc:// by default), BENCH_ACKS_LATE=1 for
task_acks_late, BENCH_CONFIRM=1 for the confirm_publish transport option.
"""
import os

from celery import Celery

URL = os.environ.get('BENCH_URL', 'amqp://guest:guest@127.0.0.1:5672//')
BACKEND = os.environ.get('BENCH_BACKEND', 'rpc://')

app = Celery('tasks', broker=URL, backend=BACKEND)
app.conf.update(
    task_acks_late=os.environ.get('BENCH_ACKS_LATE') == '1',
    worker_prefetch_multiplier=4,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
    broker_transport_options={'confirm_publish': os.environ.get('BENCH_CONFIRM') == '1'},
)


@app.task(name='tasks.noop')
def noop():
    return None


@app.task(name='tasks.add')
def add(x, y):
    return x + y
