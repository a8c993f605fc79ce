"""Pushes a kombu envelope made by Celeriac (argv[2], JSON text) onto queue argv[1] the way kombu's Redis
transport publishes (LPUSH on the queue's list), waits for the task's result (a Python worker runs it) and
prints the result as one JSON line."""
import json
import sys

import redis

from interop_tasks import BROKER_URL, app


def main():
    queue, envelope = sys.argv[1], sys.argv[2]
    task_id = json.loads(envelope)["headers"]["id"]
    redis.Redis.from_url(BROKER_URL).lpush(queue, envelope)
    print(json.dumps(app.AsyncResult(task_id).get(timeout=20)))


if __name__ == "__main__":
    main()
