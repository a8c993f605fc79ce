"""client.py for the RabbitMQ interop tests: the same commands, with rabbitmq_tasks' queue type applied first."""
import os
import sys

import rabbitmq_tasks  # noqa: F401  (applies INTEROP_QUEUE_TYPE to the app client.py uses)
import client

if __name__ == "__main__":
    status = client.main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status if isinstance(status, int) else 1)
