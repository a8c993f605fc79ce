"""Celery 5.7's monitoring side for Celeriac's interop tests: inspect, control and the event receiver,
as `celery inspect`, `celery control` and Flower use them. Broker from CELERY_BROKER_URL (interop_tasks.py).

  monitor.py inspect METHOD [--destination NODE] [--timeout T] [--arg JSON]
      -> one JSON line: app.control.inspect(...).METHOD(...), e.g. {"swift@interop": {"ok": "pong"}}
  monitor.py control METHOD [--arguments JSON] [--destination NODE] [--timeout T]
      -> one JSON line: app.control.broadcast(METHOD, arguments, reply=True) (a list of {node: reply})
  monitor.py events --seconds S
      -> prints "ready" once listening, then after S seconds one JSON line: every event received
         (celery.events.EventReceiver, the class Flower uses), in order.
"""
import argparse
import json
import sys
import threading
import time

from interop_tasks import app


def inspect(ns):
    inspector = app.control.inspect(destination=[ns.destination] if ns.destination else None, timeout=ns.timeout)
    method = getattr(inspector, ns.method)
    if ns.arg:
        print(json.dumps(method(*json.loads(ns.arg))))
    else:
        print(json.dumps(method()))


def control(ns):
    arguments = json.loads(ns.arguments) if ns.arguments else {}
    replies = app.control.broadcast(
        ns.method, arguments=arguments, reply=True, timeout=ns.timeout,
        destination=[ns.destination] if ns.destination else None)
    print(json.dumps(replies))


def events(ns):
    received = []

    def capture():
        with app.connection() as connection:
            receiver = app.events.Receiver(connection, handlers={"*": received.append})
            try:
                receiver.capture(limit=None, timeout=ns.seconds, wakeup=False)
            except Exception:  # the timeout ends the capture
                pass

    thread = threading.Thread(target=capture, daemon=True)
    thread.start()
    time.sleep(1.5)  # PSUBSCRIBE is in place well before this
    print("ready", flush=True)
    thread.join(ns.seconds + 2)
    print(json.dumps(received), flush=True)


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("inspect")
    p.add_argument("method")
    p.add_argument("--destination")
    p.add_argument("--timeout", type=float, default=2.0)
    p.add_argument("--arg")
    p = sub.add_parser("control")
    p.add_argument("method")
    p.add_argument("--arguments")
    p.add_argument("--destination")
    p.add_argument("--timeout", type=float, default=2.0)
    p = sub.add_parser("events")
    p.add_argument("--seconds", type=float, default=8.0)
    ns = parser.parse_args()
    {"inspect": inspect, "control": control, "events": events}[ns.command](ns)


if __name__ == "__main__":
    sys.exit(main())
