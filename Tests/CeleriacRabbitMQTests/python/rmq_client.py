"""Publishes tasks.add(2, 3) with real Celery (no worker) and prints the task id.

Usage: rmq_client.py <queue>
"""
import sys

from rmq_tasks import add

result = add.apply_async((2, 3), queue=sys.argv[1])
print("TASK_ID", result.id)
