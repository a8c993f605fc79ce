"""Celery 5.7's event receiver on RabbitMQ, for Celeriac's monitoring tests (broker from CELERIAC_RMQ_BROKER).

  rmq_monitor.py events --hostname NODE --seconds S
      -> captures events (celery.events.EventReceiver, the class Flower uses) until a task-succeeded and a
         worker-heartbeat event from NODE arrived, or S seconds passed; prints one JSON line: every event
         received, in order.
"""
import argparse
import json
import socket
import sys
import time

from rmq_tasks import app


def events(ns):
    received = []
    deadline = time.time() + ns.seconds
    receiver = None

    def handle(event):
        received.append(event)
        types = {e.get("type") for e in received if e.get("hostname") == ns.hostname}
        done = {"task-succeeded", "worker-heartbeat"} <= types
        if done or time.time() > deadline:
            receiver.should_stop = True

    with app.connection() as connection:
        receiver = app.events.Receiver(connection, handlers={"*": handle})
        try:
            # The timeout counts only silent seconds; the worker's heartbeats (every 2 s) reach the deadline check.
            receiver.capture(limit=None, timeout=ns.seconds, wakeup=False)
        except (socket.timeout, TimeoutError):
            pass
    print(json.dumps(received), flush=True)


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("events")
    p.add_argument("--hostname", required=True)
    p.add_argument("--seconds", type=float, default=30.0)
    ns = parser.parse_args()
    events(ns)


if __name__ == "__main__":
    sys.exit(main())
