"""The Celery app both workers are measured with: tasks.noop and tasks.add, named as Celeriac's example names them.

Env: BENCH_URL (redis://127.0.0.1:PORT/0, broker and result backend), BENCH_ACKS_LATE=1 for task_acks_late.
"""
import os

from celery import Celery

URL = os.environ.get('BENCH_URL', 'redis://127.0.0.1:6379/0')

app = Celery('tasks', broker=URL, backend=URL)
app.conf.update(
    task_acks_late=os.environ.get('BENCH_ACKS_LATE') == '1',
    worker_prefetch_multiplier=4,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)


@app.task(name='tasks.noop')
def noop():
    return None


@app.task(name='tasks.add')
def add(x, y):
    return x + y
